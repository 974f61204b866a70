\set uid 1
BEGIN;
SELECT pg_advisory_xact_lock(1129206866, :uid);
SELECT counter FROM user_counter WHERE user_id = :uid \gset
\set next :counter + 1
UPDATE user_counter SET counter = :next, version = version + 1 WHERE user_id = :uid;
COMMIT;
