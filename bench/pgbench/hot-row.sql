UPDATE web_counter SET value = value + 1 WHERE name = 'web' RETURNING value;
