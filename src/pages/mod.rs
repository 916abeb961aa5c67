//! One module per page. Each page sets the document title and has exactly one
//! `h1`, which the shell focuses after navigation.

pub mod challenges;
pub mod course;
pub mod lesson;
pub mod not_found;
pub mod playground;
pub mod quiz;
