module.exports = require('./no-leftover-mounts').recordPreexisting;
