//! The one way a document enters an import job's queue, shared by the connector's enqueue
//! (`POST /api/connector/enqueue`) and inbound folders: a package that would be refused when
//! processed is refused before it is stored, then the body is kept and its message committed.

use std::io::Cursor;

use uuid::Uuid;

use super::bodies::{Body, Content};
use super::{Job, Jobs, Mode, NewMessage};
use crate::formats::package::{ZipLimits, check_zip};

/// Why a document was not queued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The document can never be processed as it is (a data package that is not a sound
    /// zip): sending it again changes nothing.
    #[error("{0}")]
    Refused(String),
    /// It could not be stored now (a full disk, a closed database): it may succeed later.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Jobs {
    /// Queues `body` as `message` of import `job`. Returns the message id, and whether it is
    /// an earlier message's: enqueue is idempotent on (job, external identifier, body), so a
    /// sender repeating an enqueue whose answer it lost gets the first message back.
    pub async fn enqueue(&self, job: &Job, message: NewMessage, body: Body) -> Result<(Uuid, bool), EnqueueError> {
        if job.mode == Mode::Package
            && let Err(error) = check_package(&body.content).await
        {
            if let Content::File(path) = &body.content {
                let _ = tokio::fs::remove_file(path).await;
            }
            return Err(EnqueueError::Refused(format!("The data package is refused: {error:#}.")));
        }
        Ok(self.queue().enqueue(message, body).await?)
    }
}

async fn check_package(content: &Content) -> anyhow::Result<()> {
    let limits = ZipLimits::default();
    match content {
        Content::Inline(bytes) => check_zip(&mut Cursor::new(bytes), &limits),
        Content::File(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || check_zip(&mut std::fs::File::open(&path)?, &limits)).await?
        }
    }
}
