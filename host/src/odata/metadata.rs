//! The service document and `$metadata`.
