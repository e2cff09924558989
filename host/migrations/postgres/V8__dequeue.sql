-- The next export to hand out, in enqueue order: a walk down this index from the job's first
-- deliverable message, instead of sorting every deliverable message of the job on each
-- dequeue. The WHERE is the dequeue's own, so that the planner may use it.
CREATE INDEX queue_messages_to_dequeue ON queue_messages (activity, seq)
    WHERE operation = 'Export'
      AND status IN ('Processed', 'ProcessedWithErrors', 'PostProcessingFailed', 'Dequeued', 'Downloaded');
