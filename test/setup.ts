// Shared mocha setup: tests must not inherit a developer's VIGIL_* settings by accident except the media/model dirs.
process.env.VIGIL_LOG_LEVEL = process.env.VIGIL_LOG_LEVEL ?? 'silent';
