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

/// Every page of `filter` from the first, `limit` at a time, calling `between` after each.
fn all_pages(
    fixture: &Fixture,
    filter: &super::MessageFilter,
    limit: u32,
    mut between: impl FnMut(),
) -> Vec<super::MessagePage> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = fixture.runtime.block_on(fixture.queue.search(filter, cursor.as_deref(), limit)).expect("a page");
        cursor = page.next.clone();
        pages.push(page);
        between();
        if cursor.is_none() {
            return pages;
        }
    }
}

fn ids(page: &super::MessagePage) -> Vec<Uuid> {
    page.messages.iter().map(|message| message.message_id).collect()
}

/// Fails message `id` of `job` as processing would, with `status`.
fn fail(fixture: &Fixture, job: Uuid, id: Uuid, status: MessageStatus) {
    let claimed = fixture.queue.claim_blocking(job, false).expect("the claim").expect("a message");
    assert_eq!(claimed.message_id, id, "the oldest waiting message is claimed");
    let error = Some("the file is not CSV".to_owned());
    assert!(fixture.queue.finish_blocking(id, claimed.pop_receipt, status, None, error).expect("answered"));
}

#[test]
fn each_filter_narrows_the_search_to_its_messages() {
    on_both(|fixture| {
        let (job, other_job) = (Uuid::new_v4(), Uuid::new_v4());
        let (failed, _) = fixture.enqueue(job, Some("a.csv"), b"a");
        fail(&fixture, job, failed, MessageStatus::PreProcessingError);
        std::thread::sleep(Duration::from_millis(20));
        let middle = now_millis();
        std::thread::sleep(Duration::from_millis(20));
        let (waiting, _) = fixture.enqueue(job, Some("b.csv"), b"b");
        let (elsewhere, _) = fixture.enqueue(other_job, None, b"c");
        let mut other_company = import(other_job, None);
        other_company.company = Some("DEMF".into());
        let body = fixture.runtime.block_on(async {
            let mut receiver = fixture.queue.bodies().receive(u64::MAX);
            receiver.push(b"d").await.expect("the body arrives");
            receiver.finish().await.expect("the body is complete")
        });
        let (german, _) = fixture.runtime.block_on(fixture.queue.enqueue(other_company, body)).expect("queued");

        let search = |filter: super::MessageFilter| {
            let page = fixture.runtime.block_on(fixture.queue.search(&filter, None, 50)).expect("a page");
            let total = page.total.expect("a count without body search");
            assert_eq!(total.count as usize, page.messages.len(), "the count agrees with the page: {filter:?}");
            ids(&page)
        };
        let everything = search(super::MessageFilter::default());
        assert_eq!(everything, vec![german, elsewhere, waiting, failed], "newest first");
        let filter = super::MessageFilter { activity: Some(job), ..Default::default() };
        assert_eq!(search(filter), vec![waiting, failed]);
        let filter = super::MessageFilter { statuses: vec![MessageStatus::PreProcessingError], ..Default::default() };
        assert_eq!(search(filter), vec![failed]);
        let statuses = vec![MessageStatus::PreProcessingError, MessageStatus::Enqueued];
        let filter = super::MessageFilter { activity: Some(job), statuses, ..Default::default() };
        assert_eq!(search(filter), vec![waiting, failed]);
        let filter = super::MessageFilter { company: Some("demf".into()), ..Default::default() };
        assert_eq!(search(filter), vec![german]);
        let filter = super::MessageFilter { enqueued_to: Some(middle), ..Default::default() };
        assert_eq!(search(filter), vec![failed]);
        let filter = super::MessageFilter { enqueued_from: Some(middle), activity: Some(job), ..Default::default() };
        assert_eq!(search(filter), vec![waiting]);
        let filter = super::MessageFilter { text: Some(format!("{{{waiting}}}")), ..Default::default() };
        assert_eq!(search(filter), vec![waiting], "a braced message id finds its message");
        let filter = super::MessageFilter { text: Some("a.csv".into()), ..Default::default() };
        let page = fixture.runtime.block_on(fixture.queue.search(&filter, None, 50)).expect("a page");
        assert_eq!((ids(&page), page.matched_by), (vec![failed], Some(super::TextMatch::CorrelationId)));
    });
}

#[test]
fn paging_visits_every_match_exactly_once_while_new_messages_arrive() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let mut expected: Vec<Uuid> = (0..40).map(|index| fixture.enqueue(job, None, &[index]).0).collect();
        expected.reverse();
        let filter =
            super::MessageFilter { activity: Some(job), statuses: vec![MessageStatus::Enqueued], ..Default::default() };
        let mut arrived = 0_u8;
        let pages = all_pages(&fixture, &filter, 7, || {
            arrived += 1;
            fixture.enqueue(job, None, &[100 + arrived]);
        });
        let seen: Vec<Uuid> = pages.iter().flat_map(ids).collect();
        assert_eq!(seen, expected, "every message once, newest first, and none of those that arrived meanwhile");
        assert_eq!(pages.len(), 6, "40 messages in pages of 7");
        assert!(pages[0].total.is_some_and(|total| total.count == 40 && !total.capped));
    });
}

#[test]
fn a_cursor_the_server_did_not_hand_out_is_refused() {
    on_both(|fixture| {
        let filter = super::MessageFilter::default();
        let error = fixture.runtime.block_on(fixture.queue.search(&filter, Some("bm90IGEgY3Vyc29y"), 10));
        assert!(error.is_err_and(|error| error.is::<super::BadCursor>()));
    });
}

#[test]
fn body_search_finds_text_and_says_how_far_it_searched() {
    on_both(|mut fixture| {
        fixture.queue.body_search_bodies = 10;
        let job = Uuid::new_v4();
        let (needle, _) = fixture.enqueue(job, None, b"id,name\n42,Order INV-0042 for Contoso\n");
        // Over the inline limit on SQLite, so one body is searched in its file.
        let mut large = vec![b'x'; 300_000];
        large.extend_from_slice(b"inv-0042");
        let (in_file, _) = fixture.enqueue(job, None, &large);
        for index in 0..14 {
            fixture.enqueue(job, None, format!("id,name\n{index},Other\n").as_bytes());
        }
        let filter = super::MessageFilter { text: Some("INV-0042".into()), activity: Some(job), ..Default::default() };
        let pages = all_pages(&fixture, &filter, 50, || {});
        let first = &pages[0];
        let searched = first.body_search.clone().expect("bodies were searched");
        assert_eq!(first.matched_by, Some(super::TextMatch::Body));
        assert!(first.total.is_none(), "no count when bodies are searched");
        assert_eq!((searched.scanned, searched.stopped_by_budget), (10, true), "{searched:?}");
        assert!(first.messages.is_empty(), "the newest ten bodies do not hold the text");
        let found: Vec<Uuid> = pages.iter().flat_map(ids).collect();
        assert_eq!(found, vec![in_file, needle], "the next pages go on where the budget stopped");
        let last = pages.last().and_then(|page| page.body_search.clone()).expect("bodies were searched");
        assert!(!last.stopped_by_budget && last.scanned == 6, "{last:?}");
    });
}

#[test]
fn a_failed_import_is_reprocessed_with_its_attempts_reset_and_its_body_kept() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let (id, _) = fixture.enqueue(job, None, b"a,b\n1,2\n");
        fail(&fixture, job, id, MessageStatus::ProcessedWithErrors);
        let queue = &fixture.queue;
        let outcome = fixture.runtime.block_on(queue.act(super::MessageAction::Reprocess, id, "ops")).expect("acted");
        assert_eq!(
            (outcome.changed, outcome.from, outcome.to),
            (true, Some(MessageStatus::ProcessedWithErrors), Some(MessageStatus::Enqueued))
        );
        let message = fixture.message(id);
        assert_eq!((message.status, message.retry_count, message.error), (MessageStatus::Enqueued, 0, None));
        assert_eq!(fixture.body(id), b"a,b\n1,2\n");
        // Waiting already: reprocessing it again makes no sense, and the answer says why.
        let again = fixture.runtime.block_on(queue.act(super::MessageAction::Reprocess, id, "ops")).expect("acted");
        assert!(!again.changed);
        assert_eq!(again.refused.as_deref(), Some("only a failed import can be reprocessed, and this one is Enqueued"));
        let timeline = fixture.runtime.block_on(queue.timeline(id)).expect("answered").expect("a timeline");
        let action = timeline.iter().find(|event| event.kind == super::EventKind::OperatorAction).expect("recorded");
        assert_eq!(action.actor.as_deref(), Some("ops"));
        let detail = action.detail.as_deref().unwrap_or_default();
        assert!(detail.starts_with("reprocess") && detail.contains("the file is not CSV"), "{detail}");
        assert_eq!(timeline[0].kind, super::EventKind::Enqueued);
    });
}

#[test]
fn poisoned_messages_are_requeued_and_others_refused() {
    on_both(|fixture| {
        let settings = QueueSettings { max_deliveries: 1, ..short_lease() };
        let fixture = Fixture { queue: Queue { settings, ..fixture.queue.clone() }, ..fixture };
        let job = Uuid::new_v4();
        let (id, _) = fixture.enqueue(job, None, b"x");
        let queue = &fixture.queue;
        let refused = fixture.runtime.block_on(queue.act(super::MessageAction::Requeue, id, "ops")).expect("acted");
        assert!(refused.refused.is_some_and(|why| why.contains("only a poisoned message")));
        // Its one attempt is interrupted (its lease lapses): the next claim poisons it.
        let claimed = queue.claim_blocking(job, false).expect("the claim").expect("a message");
        std::thread::sleep(Duration::from_millis(400));
        assert!(queue.requeue_blocking(id, claimed.pop_receipt).expect("answered"));
        assert!(queue.claim_blocking(job, false).expect("the claim").is_none());
        assert_eq!(fixture.message(id).status, MessageStatus::Poisoned);
        let reprocess = fixture.runtime.block_on(queue.act(super::MessageAction::Reprocess, id, "ops")).expect("acted");
        assert_eq!(reprocess.refused.as_deref(), Some("the message is poisoned: re-queue it instead"));
        let requeued = fixture.runtime.block_on(queue.act(super::MessageAction::Requeue, id, "ops")).expect("acted");
        assert_eq!((requeued.changed, requeued.to), (true, Some(MessageStatus::Enqueued)));
        let again = queue.claim_blocking(job, false).expect("the claim").expect("claimed again");
        assert_eq!(again.retry_count, 1, "its attempts were reset");

        // An export poisoned by deliveries goes back to be dequeued, its deliveries reset.
        let export_job = Uuid::new_v4();
        let export = fixture.export(export_job);
        assert!(fixture.runtime.block_on(queue.dequeue(export_job, now_millis())).expect("dequeued").is_some());
        std::thread::sleep(Duration::from_millis(400));
        assert!(fixture.runtime.block_on(queue.dequeue(export_job, now_millis() + 1_000)).expect("dequeued").is_none());
        assert_eq!(fixture.message(export).status, MessageStatus::Poisoned);
        let requeued =
            fixture.runtime.block_on(queue.act(super::MessageAction::Requeue, export, "ops")).expect("acted");
        assert_eq!(requeued.to, Some(MessageStatus::Processed));
        let lease = fixture.runtime.block_on(queue.dequeue(export_job, now_millis() + 2_000)).expect("dequeued");
        assert_eq!(lease.map(|lease| lease.message.dequeue_count), Some(1));
        let refused =
            fixture.runtime.block_on(queue.act(super::MessageAction::Reprocess, export, "ops")).expect("acted");
        assert!(refused.refused.is_some_and(|why| why.starts_with("an export is not reprocessed")));
    });
}

#[test]
fn a_deleted_message_goes_with_its_body_and_one_being_processed_stays() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        let (id, _) = fixture.enqueue(job, None, &vec![b'y'; 300_000]);
        let (busy, _) = fixture.enqueue(job, None, b"z");
        let queue = &fixture.queue;
        let deleted = fixture.runtime.block_on(queue.act(super::MessageAction::Delete, id, "ops")).expect("acted");
        assert_eq!((deleted.changed, deleted.from, deleted.to), (true, Some(MessageStatus::Enqueued), None));
        assert!(fixture.runtime.block_on(queue.message(id)).expect("answered").is_none());
        assert!(!queue.bodies().path(&id.to_string()).exists(), "the body file is removed");
        assert!(fixture.runtime.block_on(queue.body(id)).is_err() || fixture.body(id).is_empty());
        let timeline = fixture.runtime.block_on(queue.timeline(id)).expect("answered").expect("the record stays");
        assert_eq!(timeline.len(), 1, "only the operator's action is left: {timeline:?}");
        fixture.queue.claim_blocking(job, false).expect("the claim").expect("a message");
        let refused = fixture.runtime.block_on(queue.act(super::MessageAction::Delete, busy, "ops")).expect("acted");
        assert_eq!(refused.refused.as_deref(), Some("the message is being processed: wait until it ends"));
    });
}

#[test]
fn a_bulk_action_on_all_that_match_goes_through_several_chunks() {
    on_both(|mut fixture| {
        fixture.queue.bulk_chunk = 4;
        let (job, other_job) = (Uuid::new_v4(), Uuid::new_v4());
        let failed: Vec<Uuid> = (0..11_u8)
            .map(|index| {
                let (id, _) = fixture.enqueue(job, None, &[index]);
                fail(&fixture, job, id, MessageStatus::PreProcessingError);
                id
            })
            .collect();
        let (waiting, _) = fixture.enqueue(job, None, b"w");
        let (other, _) = fixture.enqueue(other_job, None, b"o");
        fail(&fixture, other_job, other, MessageStatus::PreProcessingError);
        let filter = super::MessageFilter { activity: Some(job), ..Default::default() };
        let queue = &fixture.queue;
        let outcome = fixture
            .runtime
            .block_on(queue.act_on_matching(super::MessageAction::Reprocess, &filter, "ops"))
            .expect("acted");
        assert_eq!((outcome.changed, outcome.refused, outcome.chunks), (11, 0, 3), "{outcome:?}");
        for id in failed {
            assert_eq!(fixture.message(id).status, MessageStatus::Enqueued);
        }
        assert_eq!(fixture.message(waiting).status, MessageStatus::Enqueued);
        assert_eq!(fixture.message(other).status, MessageStatus::PreProcessingError, "another job's stays");
        let ids = [waiting, other, Uuid::new_v4()];
        let outcome = fixture.runtime.block_on(queue.act_on(super::MessageAction::Delete, &ids, "ops")).expect("acted");
        assert_eq!((outcome.changed, outcome.refused), (2, 1));
        assert_eq!(outcome.refusals[0].refused.as_deref(), Some("there is no such message"));
    });
}

#[test]
fn job_states_are_kept_in_the_queue_database() {
    on_both(|fixture| {
        let job = Uuid::new_v4();
        assert!(fixture.queue.job_states_blocking().expect("answered").is_empty());
        fixture.runtime.block_on(fixture.queue.set_job_enabled(job, false, "ops")).expect("kept");
        assert_eq!(fixture.queue.job_states_blocking().expect("answered"), vec![(job, false)]);
        fixture.runtime.block_on(fixture.queue.set_job_enabled(job, true, "ops")).expect("kept");
        assert_eq!(fixture.queue.job_states_blocking().expect("answered"), vec![(job, true)]);
    });
}

#[test]
fn every_page_walk_on_sqlite_reads_an_index_in_order_without_sorting() {
    let fixture = Fixture::sqlite(short_lease());
    let job = Uuid::new_v4();
    fixture.enqueue(job, Some("a.csv"), b"a");
    let cursor = super::Position { enqueued: now_millis(), seq: 1 }.encode();
    let filters = [
        super::MessageFilter::default(),
        super::MessageFilter { activity: Some(job), ..Default::default() },
        super::MessageFilter { statuses: vec![MessageStatus::Enqueued, MessageStatus::Poisoned], ..Default::default() },
        super::MessageFilter {
            activity: Some(job),
            statuses: vec![MessageStatus::Enqueued],
            enqueued_from: Some(0),
            enqueued_to: Some(now_millis() + 1),
            company: Some("USMF".into()),
            ..Default::default()
        },
        super::MessageFilter { text: Some("a.csv".into()), ..Default::default() },
    ];
    for filter in filters {
        for cursor in [None, Some(cursor.as_str())] {
            let plans = fixture.runtime.block_on(fixture.queue.search_plans(&filter, cursor)).expect("plans");
            for plan in plans {
                let text = plan.join(" | ");
                assert!(text.contains("USING INDEX") || text.contains("USING COVERING INDEX"), "{filter:?}: {text}");
                assert!(!text.contains("TEMP B-TREE") || filter.text.is_some(), "{filter:?} sorts: {text}");
                assert!(!text.starts_with("SCAN queue_messages |") && text != "SCAN queue_messages", "{text}");
            }
        }
    }
}
