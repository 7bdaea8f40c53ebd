-- 0005_outbox_basis: which time of a story a digest's window is laid over
-- (model.Basis): '' for a day's digest (published time, the only kind
-- before this version), 'arrival' for a scheduled one.
ALTER TABLE outbox ADD COLUMN basis TEXT NOT NULL DEFAULT '';
