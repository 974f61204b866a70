// `npm run test:unit`: the suites that need no PostgreSQL, Hazelcast or Java (the pool with a fake
// connection, checker, parser, config, examples ...), in well under a minute. `npm test` runs them too.
export default {
  files: [
    'dist/test/answer-count.test.js',
    'dist/test/bench-numbers.test.js',
    'dist/test/checker.test.js',
    'dist/test/docker.test.js',
    'dist/test/env-vars.test.js',
    'dist/test/examples.test.js',
    'dist/test/first-line.test.js',
    'dist/test/histories.test.js',
    'dist/test/history-reader.test.js',
    'dist/test/increment-coalescer.test.js',
    'dist/test/parse-duration.test.js',
    'dist/test/pool-*.test.js',
    'dist/test/response-parser.test.js',
    'dist/test/result-text.test.js',
    'dist/test/run-passed.test.js',
    'dist/test/server-config.test.js',
  ],
  timeout: '1m',
  verbose: true,
};
