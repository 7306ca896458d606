-- location_update loses its B-tree on `at`: with rows arriving a lake date at a time, in key
-- order, that index was the one random-order insert of the load (about a third of its cost,
-- measured: docs/decisions.md). Derivation reads a time window vehicle by vehicle through the
-- primary key instead. Analysts' time filters keep a BRIN index: a lake date's rows sit together
-- in the heap, so block ranges summarise a day's span for almost nothing on every insert.
DROP INDEX {{schema}}.location_update_by_at;
CREATE INDEX location_update_at_brin ON {{schema}}.location_update USING brin (at);
