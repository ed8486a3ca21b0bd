//! The control API under `/sandbox/`: bots, users, messages, Passport submissions, faults.
