module.exports = require('./no-leftover-mounts').assertNoLeftovers;
