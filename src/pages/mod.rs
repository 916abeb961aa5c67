//! One module per page. Each page sets the document title and has exactly one
//! `h1`, which the shell focuses after navigation.

pub mod compare;
pub mod course;
pub mod labs;
pub mod lesson;
pub mod live;
pub mod not_found;
pub mod playground;
