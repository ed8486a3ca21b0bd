-- Which process holds an update's claim: the poller that holds the polling lease takes over the
-- claims of processes that died while handling.
ALTER TABLE handled_updates ADD COLUMN holder TEXT;
