\set uid 1
BEGIN;
SELECT counter FROM user_counter WHERE user_id = :uid FOR UPDATE \gset
\set next :counter + 1
UPDATE user_counter SET counter = :next, version = version + 1 WHERE user_id = :uid;
COMMIT;
