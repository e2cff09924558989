-- The next export to hand out, in enqueue order: a walk down this index from the job's first
-- deliverable message. Without it the planner took queue_messages_by_job_and_time and sorted
-- every deliverable message of the job on each dequeue (40,000 waiting exports: 100 dequeues
-- a second, p50 620 ms, in the serve benchmark). The WHERE is the dequeue's own, so that the
-- planner may use it.
CREATE INDEX IF NOT EXISTS queue_messages_to_dequeue ON queue_messages (activity, seq)
    WHERE operation = 'Export'
      AND status IN ('Processed', 'ProcessedWithErrors', 'PostProcessingFailed', 'Dequeued', 'Downloaded');
