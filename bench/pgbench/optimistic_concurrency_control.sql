\set uid 1
SELECT counter, version FROM user_counter WHERE user_id = :uid \gset
\set next :counter + 1
UPDATE user_counter SET counter = :next, version = version + 1 WHERE user_id = :uid AND version = :version RETURNING version;
