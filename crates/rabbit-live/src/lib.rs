//! Placeholder; replaced by the real-broker driver.
