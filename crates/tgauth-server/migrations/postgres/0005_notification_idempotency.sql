-- A website that retries `POST /api/v1/notifications` after a lost answer (a replica died while
-- answering) sends the same `Idempotency-Key`: the retry finds the first notification instead
-- of queueing the message twice. NULL for notifications queued without a key (any number).
ALTER TABLE notifications ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX notifications_idempotency ON notifications (idempotency_key);
