\set uid 1
\set slot random(0, 7)
UPDATE user_counter_shard SET counter = counter + 1 WHERE user_id = :uid AND slot = :slot RETURNING counter;
