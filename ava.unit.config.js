// `npm run test:unit`: the suites that need no PostgreSQL, Hazelcast, Java or server process,
// for a check in well under a minute. `npm test` runs these and all the others.
export default {
  files: [
    'dist/test/answer-count.test.js',
    'dist/test/bench-numbers.test.js',
    'dist/test/checker.test.js',
    'dist/test/docker.test.js',
    'dist/test/examples.test.js',
    'dist/test/increment-coalescer.test.js',
    'dist/test/response-parser.test.js',
    'dist/test/result-text.test.js',
    'dist/test/run-passed.test.js',
    'dist/test/server-config.test.js',
  ],
  timeout: '1m',
  verbose: true,
};
