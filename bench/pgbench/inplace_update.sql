\set uid 1
UPDATE user_counter SET counter = counter + 1, version = version + 1 WHERE user_id = :uid RETURNING counter;
