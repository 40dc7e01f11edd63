//! Undo and redo of network edits (Ctrl+Z, Ctrl+Shift+Z): each project kind (rows of numbers,
//! images) keeps the networks it had before each edit. Only the network comes back; the recipe,
//! data and settings stay as they are now.

use super::Project;

/// Edits remembered per project.
const DEPTH: usize = 100;

#[derive(Clone, Debug, Default, PartialEq)]
struct Stack {
    past: Vec<Project>,
    future: Vec<Project>,
}

/// The undo history of both projects the page keeps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Undo {
    points: Stack,
    images: Stack,
}

impl Undo {
    fn stack(&mut self, project: &Project) -> &mut Stack {
        if project.data.is_images() {
            &mut self.images
        } else {
            &mut self.points
        }
    }

    /// Remembers `before` if the edit that made `after` changed the network of the same kind
    /// of project; a new edit forgets what was undone.
    pub fn record(&mut self, before: &Project, after: &Project) {
        if before.data.is_images() != after.data.is_images() || before.network == after.network {
            return;
        }
        let stack = self.stack(before);
        stack.past.push(before.clone());
        if stack.past.len() > DEPTH {
            stack.past.remove(0);
        }
        stack.future.clear();
    }

    /// The project with its network before the last edit, if there is one.
    pub fn undo(&mut self, current: &Project) -> Option<Project> {
        let stack = self.stack(current);
        let earlier = stack.past.pop()?;
        stack.future.push(current.clone());
        Some(with_network(current, &earlier))
    }

    /// The project with the network of the last undone edit, if there is one.
    pub fn redo(&mut self, current: &Project) -> Option<Project> {
        let stack = self.stack(current);
        let later = stack.future.pop()?;
        stack.past.push(current.clone());
        Some(with_network(current, &later))
    }

    pub fn can_undo(&self, images: bool) -> bool {
        !if images { &self.images } else { &self.points }
            .past
            .is_empty()
    }

    pub fn can_redo(&self, images: bool) -> bool {
        !if images { &self.images } else { &self.points }
            .future
            .is_empty()
    }
}

fn with_network(current: &Project, from: &Project) -> Project {
    let mut project = Project {
        network: from.network.clone(),
        ..current.clone()
    };
    project.settle();
    project
}
