//! The blobs' promises on both backends, and what only replicas sharing PostgreSQL can break:
//! two bodies for one upload link arriving at two replicas, and an upload abandoned half-way.

use std::time::{Duration, Instant};

use super::{Blob, BlobKind, Blobs, Upload};
use crate::backend::{Postgres, testing};
use crate::jobs::bodies::ReceiveError;
use crate::jobs::database::Database;
use crate::jobs::queue::now_millis;

/// The same blobs as two replicas see them (with SQLite, one process twice), and the runtime
/// their PostgreSQL connections live on.
struct Fixture {
    one: Blobs,
    two: Blobs,
    runtime: tokio::runtime::Runtime,
    _dirs: [tempfile::TempDir; 2],
}

impl Fixture {
    fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("a directory");
        let database = Database::open(&dir.path().join("server.db")).expect("the database opens");
        let blobs = Blobs::open(database, &dir.path().join("blobs")).expect("the blobs' directories");
        let other = tempfile::tempdir().expect("a directory");
        Fixture { one: blobs.clone(), two: blobs, runtime: runtime(), _dirs: [dir, other] }
    }

    fn postgres() -> Fixture {
        let url = testing::scratch().expect("a PostgreSQL schema for the test");
        let runtime = runtime();
        let dirs = [tempfile::tempdir().expect("a directory"), tempfile::tempdir().expect("a directory")];
        let [one, two] = [&dirs[0], &dirs[1]].map(|dir| {
            let postgres = runtime.block_on(Postgres::connect(&url, 4)).expect("PostgreSQL connects");
            Blobs::postgres(postgres, &dir.path().join("blobs")).expect("the blobs' directories")
        });
        Fixture { one, two, runtime, _dirs: dirs }
    }

    fn create(&self, kind: BlobKind) -> Blob {
        let owner = Some("client".to_owned());
        self.runtime.block_on(self.one.create(kind, "package.zip".into(), None, None, owner)).expect("a blob")
    }

    fn upload(&self, blobs: &Blobs, blob: &Blob) -> Option<Upload> {
        self.runtime.block_on(blobs.upload(blob.id, u64::MAX)).expect("the blobs answer")
    }

    /// Sends `body` in pieces of 64 KiB, as a client's body arrives.
    fn push(&self, upload: &mut Upload, body: &[u8]) {
        for piece in body.chunks(64 * 1024) {
            self.runtime.block_on(upload.push(piece)).expect("the piece is taken");
        }
    }

    fn get(&self, blobs: &Blobs, blob: &Blob) -> Option<Blob> {
        self.runtime.block_on(blobs.get(blob.id, &blob.token)).expect("the blobs answer")
    }

    /// The content of `blob` as `blobs` streams it, when there is any.
    fn content(&self, blobs: &Blobs, blob: &Blob) -> Option<Vec<u8>> {
        self.runtime.block_on(async {
            let mut stream = blobs.content(blob).await.expect("the blobs answer")?;
            let mut bytes = Vec::new();
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                bytes.extend_from_slice(&chunk.expect("a chunk"));
            }
            Some(bytes)
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

/// Runs `case` on blobs of each backend.
fn on_both(case: impl Fn(Fixture)) {
    case(Fixture::sqlite());
    case(Fixture::postgres());
}

/// A body of `size` bytes that no shifted copy of itself matches.
fn body(size: usize) -> Vec<u8> {
    (0..size).map(|index| (index % 251) as u8).collect()
}

#[test]
fn an_upload_larger_than_a_chunk_reads_back_byte_for_byte_from_either_replica() {
    on_both(|fixture| {
        let blob = fixture.create(BlobKind::Upload);
        let content = body(2 * 1024 * 1024 + 12_345);
        let mut upload = fixture.upload(&fixture.one, &blob).expect("a fresh link takes a body");
        fixture.push(&mut upload, &content);
        assert_eq!(fixture.runtime.block_on(upload.finish()).expect("the upload is kept"), content.len() as u64);

        let stored = fixture.get(&fixture.two, &blob).expect("the link is known to the other replica");
        assert_eq!(stored.size, Some(content.len() as u64));
        assert!(fixture.content(&fixture.two, &stored) == Some(content.clone()), "the stream gives the body back");
        let file = fixture.two.file_blocking(blob.id).expect("the body as a file");
        assert!(std::fs::read(file.path()).expect("the file reads") == content, "the file holds the body");
        let forged = fixture.runtime.block_on(fixture.two.get(blob.id, "not-the-token")).expect("the blobs answer");
        assert_eq!(forged, None, "a link with another signature names nothing");
    });
}

#[test]
fn an_upload_link_takes_one_body_while_one_arrives_and_none_after() {
    on_both(|fixture| {
        let blob = fixture.create(BlobKind::Upload);
        let mut first = fixture.upload(&fixture.one, &blob).expect("a fresh link takes a body");
        fixture.push(&mut first, &body(1_500_000));
        assert!(fixture.upload(&fixture.two, &blob).is_none(), "a second body while the first arrives is refused");
        fixture.runtime.block_on(first.finish()).expect("the first body is kept");
        assert!(fixture.upload(&fixture.two, &blob).is_none(), "a link with its body takes no other");
        assert!(fixture.upload(&fixture.one, &blob).is_none(), "not even where the first arrived");
        assert_eq!(fixture.content(&fixture.two, &blob).map(|content| content.len()), Some(1_500_000));
    });
}

#[test]
fn an_upload_dropped_half_way_keeps_nothing_and_the_link_takes_a_body_again() {
    on_both(|fixture| {
        let blob = fixture.create(BlobKind::Upload);
        let mut abandoned = fixture.upload(&fixture.one, &blob).expect("a fresh link takes a body");
        fixture.push(&mut abandoned, &body(2 * 1024 * 1024 + 1));
        drop(abandoned);
        assert_eq!(fixture.get(&fixture.two, &blob).expect("the link is known").size, None, "nothing was kept");

        // The abandoned transaction's rollback travels on its connection: the link is free
        // once the server has it, which a client retrying soon after sees.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut upload = loop {
            if let Some(upload) = fixture.upload(&fixture.two, &blob) {
                break upload;
            }
            assert!(Instant::now() < deadline, "the link takes a body again");
            std::thread::sleep(Duration::from_millis(20));
        };
        fixture.push(&mut upload, b"the package, sent again");
        fixture.runtime.block_on(upload.finish()).expect("the body is kept");
        assert_eq!(fixture.content(&fixture.one, &blob).as_deref(), Some(&b"the package, sent again"[..]));
    });
}

#[test]
fn an_upload_over_its_limit_is_refused_as_too_large() {
    on_both(|fixture| {
        let blob = fixture.create(BlobKind::Upload);
        let mut upload = fixture.runtime.block_on(fixture.one.upload(blob.id, 10)).expect("answers").expect("free");
        fixture.runtime.block_on(upload.push(b"0123456789")).expect("ten bytes are within the limit");
        let refused = fixture.runtime.block_on(upload.push(b"!")).expect_err("the eleventh byte is refused");
        assert!(matches!(refused, ReceiveError::TooLarge { limit: 10 }), "{refused}");
    });
}

#[test]
fn a_stored_file_is_the_content_until_the_retention_removes_it_with_its_record() {
    on_both(|fixture| {
        let blob = fixture.create(BlobKind::Export);
        let content = body(1024 * 1024 + 7);
        let file = fixture.one.files().incoming.join("export.zip");
        std::fs::write(&file, &content).expect("an export file");
        assert_eq!(fixture.one.store_file_blocking(blob.id, &file).expect("stored"), content.len() as u64);
        assert!(!file.exists(), "the written file is taken");
        assert!(fixture.content(&fixture.two, &blob) == Some(content.clone()));

        assert_eq!(fixture.two.expire_blocking(now_millis() - 60_000).expect("expiry runs"), 0, "it is not old yet");
        assert!(fixture.get(&fixture.one, &blob).is_some());
        assert_eq!(fixture.two.expire_blocking(now_millis() + 60_000).expect("expiry runs"), 1);
        assert_eq!(fixture.get(&fixture.one, &blob), None, "the record is gone");
        let left = fixture.content(&fixture.one, &blob).unwrap_or_default();
        assert!(left.is_empty(), "the content is gone with it ({} bytes left)", left.len());
    });
}
