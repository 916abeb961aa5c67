//! The learner's designs: named canvases kept in the browser's local
//! storage, one of them open. The open design is kept as the canvas
//! changes; a canvas opened from a share link becomes a new design when it
//! is first changed, so a link never overwrites the learner's own work.

use super::model::Topology;
use super::share;
use serde::{Deserialize, Serialize};

/// Where the designs are kept.
const KEY: &str = "brokerlab.designs";

/// Before designs, the one canvas the playground kept.
const LAST_KEY: &str = "brokerlab.playground";

/// The name of the design a first canvas is kept as.
pub const FIRST_NAME: &str = "My playground";

/// The name of the design a changed shared canvas is kept as.
pub const SHARED_NAME: &str = "Shared playground";

/// One named canvas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    pub id: u64,
    pub name: String,
    /// The canvas as a scenario file ([`share::to_json`]).
    pub canvas: String,
}

impl Design {
    /// Its canvas; `None` when it can no longer be read.
    pub fn topology(&self) -> Option<Topology> {
        share::from_json(&self.canvas).ok()
    }
}

/// Every design, in the order they were made, and which one is open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Designs {
    pub open: Option<u64>,
    pub list: Vec<Design>,
}

impl Designs {
    /// The open design.
    pub fn open_design(&self) -> Option<&Design> {
        self.open.and_then(|id| self.list.iter().find(|d| d.id == id))
    }

    /// Keeps `canvas` in the open design, or as a first one when none is.
    pub fn keep(&mut self, canvas: String) {
        match self.open.and_then(|id| self.list.iter_mut().find(|d| d.id == id)) {
            Some(d) => d.canvas = canvas,
            None => {
                self.add(FIRST_NAME, canvas);
            }
        }
    }

    /// Keeps `canvas` as a new design named `name` (made unique), which is
    /// then the open one; its id.
    pub fn add(&mut self, name: &str, canvas: String) -> u64 {
        let id = self.list.iter().map(|d| d.id).max().unwrap_or(0) + 1;
        let name = self.unique(name.trim());
        self.list.push(Design { id, name, canvas });
        self.open = Some(id);
        id
    }

    /// Opens design `id`: its canvas, or why it cannot be opened.
    pub fn open(&mut self, id: u64) -> Result<Topology, String> {
        let d = self.list.iter().find(|d| d.id == id).ok_or("That design is no longer kept.")?;
        let topology = d.topology().ok_or_else(|| format!("\u{201c}{}\u{201d} can no longer be read.", d.name))?;
        self.open = Some(id);
        Ok(topology)
    }

    /// Renames design `id`.
    pub fn rename(&mut self, id: u64, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("A design needs a name.".into());
        }
        if self.list.iter().any(|d| d.id != id && d.name == name) {
            return Err(format!("Another design is called \u{201c}{name}\u{201d}."));
        }
        let d = self.list.iter_mut().find(|d| d.id == id).ok_or("That design is no longer kept.")?;
        d.name = name.to_string();
        Ok(())
    }

    /// Deletes design `id`; the open one cannot be.
    pub fn delete(&mut self, id: u64) -> Result<(), String> {
        if self.open == Some(id) {
            return Err("The open design cannot be deleted: open another one first.".into());
        }
        self.list.retain(|d| d.id != id);
        Ok(())
    }

    /// `name`, or `name 2`, `name 3`… if a design already has it.
    fn unique(&self, name: &str) -> String {
        let name = if name.is_empty() { FIRST_NAME } else { name };
        let taken = |n: &str| self.list.iter().any(|d| d.name == n);
        if !taken(name) {
            return name.to_string();
        }
        (2..).map(|i| format!("{name} {i}")).find(|n| !taken(n)).unwrap_or_default()
    }
}

/// The kept designs. A browser that kept only the one canvas of earlier
/// releases has it as the first design; without storage, or with designs
/// that can no longer be read, there are none.
pub fn load() -> Designs {
    let Some(storage) = crate::files::local_storage() else { return Designs::default() };
    if let Some(json) = storage.get_item(KEY).ok().flatten() {
        return serde_json::from_str(&json).unwrap_or_default();
    }
    let mut designs = Designs::default();
    if let Some(canvas) = storage.get_item(LAST_KEY).ok().flatten() {
        designs.keep(canvas);
    }
    designs
}

/// Keeps `designs`; without storage (private modes) or room (a full quota)
/// says so.
pub fn store(designs: &Designs) -> Result<(), String> {
    let storage = crate::files::local_storage().ok_or("This browser keeps nothing for this site.")?;
    let json = serde_json::to_string(designs).map_err(|e| e.to_string())?;
    storage.set_item(KEY, &json).map_err(|_| "The browser's storage for this site is full.".to_string())
}

/// The open design's canvas, if there is one that can be read.
pub fn open_canvas() -> Option<Topology> {
    load().open_design()?.topology()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::model::{NodeKind, Playground};

    fn canvas(queues: usize) -> String {
        let mut p = Playground::default();
        for _ in 0..queues {
            p.add_node(NodeKind::Queue, None);
        }
        share::to_json(&p.topology).unwrap()
    }

    #[test]
    fn the_open_design_is_kept_and_a_shared_one_is_added_beside_it() {
        let mut d = Designs::default();
        d.keep(canvas(1));
        assert_eq!(d.open_design().map(|d| d.name.as_str()), Some(FIRST_NAME));
        d.keep(canvas(2));
        assert_eq!(d.list.len(), 1);
        assert_eq!(d.open_design().unwrap().topology().unwrap().nodes.len(), 2);
        let shared = d.add(SHARED_NAME, canvas(3));
        assert_eq!(d.open, Some(shared));
        let again = d.add(SHARED_NAME, canvas(4));
        assert_eq!(
            d.list.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
            [FIRST_NAME, SHARED_NAME, "Shared playground 2"]
        );
        // Opening the first brings its canvas back and keeps the others.
        let first = d.list[0].id;
        assert_eq!(d.open(first).unwrap().nodes.len(), 2);
        d.keep(canvas(5));
        assert_eq!(d.list.iter().find(|x| x.id == again).unwrap().topology().unwrap().nodes.len(), 4);
        assert_eq!(d.list[0].topology().unwrap().nodes.len(), 5);
    }

    #[test]
    fn names_are_needed_and_unique_and_the_open_design_stays() {
        let mut d = Designs::default();
        let a = d.add("orders", canvas(1));
        let b = d.add("billing", canvas(1));
        assert_eq!(d.rename(a, "  "), Err("A design needs a name.".into()));
        assert_eq!(d.rename(a, "billing"), Err("Another design is called \u{201c}billing\u{201d}.".into()));
        assert_eq!(d.rename(a, " orders v2 "), Ok(()));
        assert_eq!(d.list[0].name, "orders v2");
        assert!(d.delete(b).is_err(), "b is open");
        assert_eq!(d.delete(a), Ok(()));
        assert_eq!(d.list.len(), 1);
        assert!(d.open(a).is_err());
    }

    #[test]
    fn a_design_that_cannot_be_read_says_so_and_is_not_opened() {
        let mut d = Designs::default();
        let good = d.add("good", canvas(1));
        let bad = d.add("bad", "{ not a scenario".into());
        d.open(good).unwrap();
        assert_eq!(d.open(bad), Err("\u{201c}bad\u{201d} can no longer be read.".into()));
        assert_eq!(d.open, Some(good));
    }
}
