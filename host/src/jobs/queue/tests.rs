//! The queue's rules on both backends, and what only replicas sharing PostgreSQL can break:
//! two claims of one message, a late write from a process that lost its lease, a rescue that
//! overwrites a finished message, a recurrence that fires twice.

use std::collections::HashSet;
use std::time::Duration;

use uuid::Uuid;

use super::{AckOutcome, Message, MessageStatus, NewMessage, Queue, QueueSettings, now_millis};
use crate::backend::{Postgres, testing};
use crate::jobs::bodies::Bodies;
use crate::jobs::database::Database;
use crate::store::Operation;

/// A queue, the runtime its PostgreSQL connections live on, and its directories.
struct Fixture {
    queue: Queue,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn sqlite(settings: QueueSettings) -> Fixture {
        let dir = tempfile::tempdir().expect("a directory");
        let database = Database::open(&dir.path().join("server.db")).expect("the database opens");
        let bodies = Bodies::open(&dir.path().join("queue")).expect("the bodies' directories");
        Fixture { queue: Queue::new(database, bodies, settings), runtime: runtime(), _dir: dir }
    }

    fn postgres(settings: QueueSettings) -> Fixture {
        Fixture::replicas(1, settings).pop().expect("one replica")
    }

    /// `count` queues on one fresh PostgreSQL schema, as replicas see it.
    fn replicas(count: usize, settings: QueueSettings) -> Vec<Fixture> {
        let url = testing::scratch().expect("a PostgreSQL schema for the test");
        (0..count)
            .map(|_| {
                let dir = tempfile::tempdir().expect("a directory");
                let runtime = runtime();
                let postgres = runtime.block_on(Postgres::connect(&url, 4)).expect("PostgreSQL connects");
                let bodies = Bodies::open(&dir.path().join("queue")).expect("the bodies' directories");
                Fixture { queue: Queue::postgres(postgres, bodies, settings.clone()), runtime, _dir: dir }
            })
            .collect()
    }

    fn enqueue(&self, activity: Uuid, external_id: Option<&str>, body: &[u8]) -> (Uuid, bool) {
        let message = import(activity, external_id);
        let body = self.runtime.block_on(async {
            let mut receiver = self.queue.bodies().receive(u64::MAX);
            receiver.push(body).await.expect("the body arrives");
            receiver.finish().await.expect("the body is complete")
        });
        self.runtime.block_on(self.queue.enqueue(message, body)).expect("the message is queued")
    }

    fn body(&self, id: Uuid) -> Vec<u8> {
        self.runtime.block_on(async {
            let mut stream = self.queue.body(id).await.expect("the body is there");
            let mut bytes = Vec::new();
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                bytes.extend_from_slice(&chunk.expect("a chunk"));
            }
            bytes
        })
    }

    fn message(&self, id: Uuid) -> Message {
        self.runtime.block_on(self.queue.message(id)).expect("the queue answers").expect("the message is there")
    }

    /// An export message ready to dequeue.
    fn export(&self, activity: Uuid) -> Uuid {
        let id = Uuid::new_v4();
        let output = self.queue.bodies().incoming.join(id.to_string());
        std::fs::write(&output, b"exported").expect("an export file");
        let body = self.queue.keep_export(&output, id).expect("the export is kept");
        let message =
            NewMessage { direction: Operation::Export, status: MessageStatus::Processed, ..import(activity, None) };
        self.queue.add_blocking(id, message, [7; 32], 8, Some(&body)).expect("the export is queued")
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

fn import(activity: Uuid, external_id: Option<&str>) -> NewMessage {
    NewMessage {
        activity,
        direction: Operation::Import,
        entity: None,
        company: Some("usmf".into()),
        external_id: external_id.map(str::to_owned),
        user: Some("client".into()),
        status: MessageStatus::Enqueued,
        records: None,
        execution: None,
        error: None,
    }
}

fn short_lease() -> QueueSettings {
    QueueSettings {
        lease: Duration::from_millis(300),
        visibility_timeout: Duration::from_millis(300),
        ..Default::default()
    }
}

/// Runs `case` on a queue of each backend.
fn on_both(case: impl Fn(Fixture)) {
    case(Fixture::sqlite(short_lease()));
    case(Fixture::postgres(short_lease()));
}

#[test]
fn a_repeated_enqueue_returns_the_first_message_and_keeps_one_body() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let (first, repeat) = fixture.enqueue(job, Some("orders.csv"), b"a,b\n1,2\n");
        assert!(!repeat);
        assert_eq!(fixture.enqueue(job, Some("orders.csv"), b"a,b\n1,2\n"), (first, true));
        // The same name with new content is a new message, as daily files are.
        let (other, repeat) = fixture.enqueue(job, Some("orders.csv"), b"a,b\n3,4\n");
        assert!(!repeat && other != first);
        assert_eq!(fixture.body(first), b"a,b\n1,2\n");
    });
}

#[test]
fn a_body_larger_than_a_chunk_comes_back_byte_for_byte() {
    on_both(|fixture| {
        let body: Vec<u8> = (0..(2 * super::postgres::CHUNK + 12_345)).map(|index| (index % 251) as u8).collect();
        let (id, _) = fixture.enqueue(Uuid::new_v4(), None, &body);
        assert_eq!(fixture.body(id), body);
        let file = fixture.queue.body_file_blocking(id, fixture._dir.path()).expect("the body as a file");
        assert_eq!(std::fs::read(file.path()).expect("the file reads"), body);
    });
}

#[test]
fn an_outcome_is_recorded_only_under_the_claim_that_holds_the_message() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let (id, _) = fixture.enqueue(job, None, b"x");
        let claimed = fixture.queue.claim_blocking(job, false).expect("the claim").expect("a message");
        let receipt = claimed.pop_receipt.clone().expect("a claim carries a receipt");
        let stale = Some("not the receipt".to_owned());
        assert!(!fixture.queue.set_execution_blocking(id, stale.clone(), "e1".into()).expect("answered"));
        assert!(!fixture.queue.finish_blocking(id, stale, MessageStatus::Processed, Some(1), None).expect("answered"));
        assert_eq!(fixture.message(id).status, MessageStatus::Processing);
        assert!(fixture.queue.set_execution_blocking(id, Some(receipt.clone()), "e1".into()).expect("answered"));
        assert!(
            fixture
                .queue
                .finish_blocking(id, Some(receipt.clone()), MessageStatus::Processed, Some(1), None)
                .expect("answered")
        );
        // Once finished, the same receipt cannot write another outcome.
        assert!(
            !fixture
                .queue
                .finish_blocking(id, Some(receipt), MessageStatus::PreProcessingError, None, None)
                .expect("answered")
        );
        let message = fixture.message(id);
        assert_eq!(
            (message.status, message.total_records, message.execution_id.as_deref()),
            (MessageStatus::Processed, Some(1), Some("e1"))
        );
    });
}

#[test]
fn an_ack_needs_the_current_receipt() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let id = fixture.export(job);
        let first =
            fixture.runtime.block_on(fixture.queue.dequeue(job, now_millis())).expect("dequeue").expect("a lease");
        assert_eq!(first.message.message_id, id);
        // Hidden until its visibility timeout passes, then handed out again with a new receipt.
        assert!(fixture.runtime.block_on(fixture.queue.dequeue(job, now_millis())).expect("dequeue").is_none());
        std::thread::sleep(Duration::from_millis(400));
        let second =
            fixture.runtime.block_on(fixture.queue.dequeue(job, now_millis())).expect("dequeue").expect("a lease");
        assert_ne!(first.pop_receipt, second.pop_receipt);
        let ack = |receipt: &str| {
            fixture
                .runtime
                .block_on(fixture.queue.ack(job, id, receipt.to_owned(), "client".into(), now_millis()))
                .expect("ack")
        };
        assert_eq!(ack(&first.pop_receipt), AckOutcome::StaleReceipt);
        assert_eq!(ack(&second.pop_receipt), AckOutcome::Acked);
        assert_eq!(ack(&second.pop_receipt), AckOutcome::AlreadyAcked);
        std::thread::sleep(Duration::from_millis(400));
        assert!(
            fixture.runtime.block_on(fixture.queue.dequeue(job, now_millis())).expect("dequeue").is_none(),
            "nothing after its ack"
        );
    });
}

#[test]
fn replicas_claiming_at_once_never_take_the_same_message() {
    let replicas = Fixture::replicas(3, QueueSettings::default());
    let job = Uuid::new_v4();
    let enqueued: HashSet<Uuid> =
        (0..60).map(|index| replicas[0].enqueue(job, None, format!("{index}").as_bytes()).0).collect();
    let claimed: Vec<Uuid> = std::thread::scope(|scope| {
        let workers: Vec<_> = replicas
            .iter()
            .flat_map(|replica| [replica, replica])
            .map(|replica| {
                scope.spawn(move || {
                    let mut taken = Vec::new();
                    while let Some(message) = replica.queue.claim_blocking(job, false).expect("the claim") {
                        taken.push(message.message_id);
                    }
                    taken
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a worker")).collect()
    });
    assert_eq!(claimed.len(), enqueued.len(), "every message claimed once");
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), enqueued);
}

#[test]
fn a_frozen_replica_that_wakes_after_its_lease_changes_nothing() {
    let replicas = Fixture::replicas(2, short_lease());
    let (frozen, rescuer) = (&replicas[0], &replicas[1]);
    let job = Uuid::new_v4();
    let (id, _) = frozen.enqueue(job, None, b"x");
    let first = frozen.queue.claim_blocking(job, false).expect("claim").expect("a message");
    // While the lease runs, nothing is stalled; heartbeats keep it running.
    assert!(rescuer.queue.stalled_blocking(Some(job)).expect("stalled").is_empty());
    std::thread::sleep(Duration::from_millis(200));
    assert!(frozen.queue.heartbeat_blocking(id, first.pop_receipt.as_deref().expect("receipt")).expect("heartbeat"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(rescuer.queue.stalled_blocking(Some(job)).expect("stalled").is_empty(), "the heartbeat extended the lease");
    // Frozen: no heartbeat. The lease lapses, the rescuer requeues, another claim takes it.
    std::thread::sleep(Duration::from_millis(400));
    let stalled = rescuer.queue.stalled_blocking(Some(job)).expect("stalled");
    assert_eq!(stalled.iter().map(|message| message.message_id).collect::<Vec<_>>(), [id]);
    assert!(rescuer.queue.requeue_blocking(id, stalled[0].pop_receipt.clone()).expect("requeue"));
    let second = rescuer.queue.claim_blocking(job, false).expect("claim").expect("the message again");
    assert_eq!(second.retry_count, 2);
    // The frozen replica wakes: its heartbeat, execution and outcome are all refused.
    let late = first.pop_receipt.clone();
    assert!(!frozen.queue.heartbeat_blocking(id, late.as_deref().expect("receipt")).expect("heartbeat"));
    assert!(!frozen.queue.set_execution_blocking(id, late.clone(), "late".into()).expect("answered"));
    assert!(
        !frozen
            .queue
            .finish_blocking(id, late, MessageStatus::PreProcessingError, None, Some("late".into()))
            .expect("answered")
    );
    assert!(
        rescuer
            .queue
            .finish_blocking(id, second.pop_receipt, MessageStatus::Processed, Some(3), None)
            .expect("answered")
    );
    let message = rescuer.message(id);
    assert_eq!((message.status, message.total_records, message.error), (MessageStatus::Processed, Some(3), None));
}

#[test]
fn a_rescue_never_overwrites_a_message_that_finished_meanwhile() {
    let replicas = Fixture::replicas(2, short_lease());
    let (slow, rescuer) = (&replicas[0], &replicas[1]);
    let job = Uuid::new_v4();
    let (id, _) = slow.enqueue(job, None, b"x");
    let claimed = slow.queue.claim_blocking(job, false).expect("claim").expect("a message");
    std::thread::sleep(Duration::from_millis(400));
    // The rescuer sees the lapsed lease; before it acts, the slow replica finishes.
    let stalled = rescuer.queue.stalled_blocking(Some(job)).expect("stalled");
    assert_eq!(stalled.len(), 1);
    assert!(
        slow.queue.finish_blocking(id, claimed.pop_receipt, MessageStatus::Processed, Some(1), None).expect("answered")
    );
    assert!(!rescuer.queue.requeue_blocking(id, stalled[0].pop_receipt.clone()).expect("answered"));
    assert_eq!(rescuer.message(id).status, MessageStatus::Processed);
    assert!(rescuer.queue.claim_blocking(job, false).expect("claim").is_none(), "nothing to process again");
}

#[test]
fn a_job_in_order_is_processed_one_message_at_a_time_across_replicas() {
    let replicas = Fixture::replicas(2, QueueSettings::default());
    let job = Uuid::new_v4();
    let ids: Vec<Uuid> = (0..3).map(|index| replicas[0].enqueue(job, None, format!("{index}").as_bytes()).0).collect();
    let first = replicas[0].queue.claim_blocking(job, true).expect("claim").expect("the oldest");
    assert_eq!(first.message_id, ids[0]);
    assert!(replicas[1].queue.claim_blocking(job, true).expect("claim").is_none(), "the next waits for the first");
    assert!(
        replicas[0]
            .queue
            .finish_blocking(ids[0], first.pop_receipt, MessageStatus::Processed, None, None)
            .expect("finish")
    );
    let second = replicas[1].queue.claim_blocking(job, true).expect("claim").expect("the next");
    assert_eq!(second.message_id, ids[1]);
}

#[test]
fn a_recurrence_fires_once_per_due_time_across_replicas() {
    let replicas = Fixture::replicas(3, QueueSettings::default());
    let job = Uuid::new_v4();
    let period = Duration::from_millis(500);
    let turns = |replicas: &[Fixture]| {
        replicas.iter().filter(|replica| replica.queue.take_turn_blocking(job, period).expect("a turn")).count()
    };
    assert_eq!(turns(&replicas), 1);
    assert_eq!(turns(&replicas), 0, "not due again yet");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(turns(&replicas), 1);
}

#[test]
fn messages_past_retention_go_with_their_bodies() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let (old, _) = fixture.enqueue(job, None, &vec![1; 300 * 1024]);
        std::thread::sleep(Duration::from_millis(20));
        let cutoff = now_millis();
        std::thread::sleep(Duration::from_millis(20));
        let (kept, _) = fixture.enqueue(job, None, b"new");
        assert_eq!(fixture.queue.expire_blocking(cutoff).expect("expired"), 1);
        assert!(fixture.runtime.block_on(fixture.queue.message(old)).expect("answered").is_none());
        assert!(fixture.runtime.block_on(fixture.queue.body(old)).is_err() || fixture.body(old).is_empty());
        assert_eq!(fixture.body(kept), b"new");
    });
}

#[test]
fn a_message_out_of_attempts_is_poisoned_for_good() {
    on_both(|fixture| {
        let fixture = Fixture {
            queue: Queue { settings: QueueSettings { max_deliveries: 1, ..short_lease() }, ..fixture.queue.clone() },
            ..fixture
        };
        let job = Uuid::new_v4();
        let (id, _) = fixture.enqueue(job, None, b"x");
        let claimed = fixture.queue.claim_blocking(job, false).expect("claim").expect("a message");
        std::thread::sleep(Duration::from_millis(400));
        assert!(fixture.queue.requeue_blocking(id, claimed.pop_receipt).expect("requeue"));
        assert!(fixture.queue.claim_blocking(job, false).expect("claim").is_none(), "out of attempts");
        assert_eq!(fixture.message(id).status, MessageStatus::Poisoned);
        let export = fixture.export(job);
        for _ in 0..2 {
            let _ = fixture.runtime.block_on(fixture.queue.dequeue(job, now_millis())).expect("dequeue");
            std::thread::sleep(Duration::from_millis(400));
        }
        assert_eq!(fixture.message(export).status, MessageStatus::Poisoned);
    });
}
