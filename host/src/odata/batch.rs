//! `$batch` multipart bodies.
