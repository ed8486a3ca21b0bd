//! Long polling with explicit acknowledgement and an optional persisted offset.
