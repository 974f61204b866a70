/** The tester's exit codes, as the README documents them: one home for every command. */
export const EXIT = { passed: 0, failed: 1, usage: 2, connect: 3 } as const;
