import test from 'ava';
import { readServerConfig } from '../server/config.js';

test('settings of the stores not chosen are not read: a bad DB_PORT or HZ_* value stops only the store that uses it', (t) => {
  const unrelated = { DB_PORT: 'abc', HZ_CONNECT_TIMEOUT_MS: 'soon' };
  t.is(readServerConfig({ ...unrelated, STORAGE_METHOD: 'shared_memory' }).storage, 'shared_memory');
  t.throws(() => readServerConfig({ ...unrelated, STORAGE_METHOD: 'postgresql' }), { message: /DB_PORT="abc" is invalid/ });
  t.throws(() => readServerConfig({ ...unrelated, STORAGE_METHOD: 'hazelcast' }), { message: /HZ_CONNECT_TIMEOUT_MS="soon" is invalid/ });
});
