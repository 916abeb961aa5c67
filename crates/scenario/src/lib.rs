//! Placeholder; replaced by the scenario format.
