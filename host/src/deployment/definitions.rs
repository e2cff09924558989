//! The definitions a server reloads while it serves: the entity catalog and the data projects
//! as one snapshot, which an execution takes once when it starts (so work under way finishes
//! on the definitions it started with), and the state of every definition file, serving or
//! refused with its reason.
//!
//! A reload reads every file again and checks each before anything is swapped in: an entity
//! against the others (names, relations, enums) and then against the store, which migrates
//! its table or refuses the change with advice; a project against the catalog. A file that
//! fails keeps its previous definition serving, and the files that do not depend on it still
//! update. Jobs are checked against the result by [`Jobs`](crate::jobs::Jobs), which records
//! their states here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::entity::{Catalog, Entity};
use crate::pipeline::{Project, Projects};
use crate::store::{EntityRefused, Store};

/// The entity catalog and the data projects, as one snapshot.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    /// The entity definitions.
    pub catalog: Arc<Catalog>,
    /// The data projects, each checked against `catalog`.
    pub projects: Projects,
}

/// What a definition file defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefinitionKind {
    /// An entity (`entities/*.toml`).
    Entity,
    /// A data project (`projects/*.toml`).
    Project,
    /// A recurring job (`jobs/*.toml`).
    Job,
}

/// Whether a definition file's content serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Serving {
    /// The file's content serves.
    Serving,
    /// The file's content was refused: its previous definition, if any, serves instead.
    Refused,
}

/// The state of one definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionState {
    /// What the file defines.
    pub kind: DefinitionKind,
    /// The file, relative to the deployment directory (`jobs/customers.toml`).
    pub file: String,
    /// The name of what it defines (the file's stem when it cannot be read).
    pub name: String,
    /// Whether its content serves.
    pub state: Serving,
    /// Why it was refused.
    pub reason: Option<String>,
    /// When it came to this state.
    pub at: SystemTime,
}

/// One file's outcome in a reload, before it becomes a [`DefinitionState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub file: String,
    pub name: String,
    pub refusal: Option<String>,
}

/// The directories definitions are read from, and how their files are named in states.
#[derive(Debug, Clone)]
pub(crate) struct Directories {
    pub entities: PathBuf,
    pub projects: PathBuf,
    pub stylesheets: Option<PathBuf>,
}

/// What serves, file by file, and every file's state: what a reload starts from.
#[derive(Debug, Default)]
pub(crate) struct Files {
    entities: BTreeMap<String, Entity>,
    projects: BTreeMap<String, Project>,
    states: BTreeMap<(DefinitionKind, String), DefinitionState>,
}

impl Files {
    /// The files behind definitions that opened without a refusal.
    pub(crate) fn opened(directories: &Directories) -> Result<Files> {
        let mut files = Files::default();
        let mut outcomes = Vec::new();
        for (name, text) in read_files(&directories.entities)? {
            let entity = parse_entity(&label(&directories.entities, &name), text)?;
            outcomes.push(Outcome {
                file: label(&directories.entities, &name),
                name: entity.name.clone(),
                refusal: None,
            });
            files.entities.insert(name, entity);
        }
        files.record(DefinitionKind::Entity, outcomes);
        let mut outcomes = Vec::new();
        for (name, text) in read_files(&directories.projects)? {
            let project = parse_project(directories, &name, text)?;
            outcomes.push(Outcome {
                file: label(&directories.projects, &name),
                name: project.name.clone(),
                refusal: None,
            });
            files.projects.insert(name, project);
        }
        files.record(DefinitionKind::Project, outcomes);
        Ok(files)
    }

    /// Reads the entity and project files again and returns the definitions that serve now:
    /// `current` where nothing changed or every change was refused. The store is prepared
    /// with the new catalog before it is returned.
    pub(crate) fn reload(&mut self, directories: &Directories, store: &Store, current: &Definitions) -> Definitions {
        let catalog = match self.reload_entities(directories, store) {
            Ok(Some(catalog)) => catalog,
            Ok(None) => current.catalog.clone(),
            Err(error) => {
                tracing::error!("cannot reload the entities, the previous ones serve: {error:#}");
                current.catalog.clone()
            }
        };
        let projects = match self.reload_projects(directories, &catalog) {
            Ok(projects) => projects,
            Err(error) => {
                tracing::error!("cannot reload the projects, the previous ones serve: {error:#}");
                current.projects.clone()
            }
        };
        Definitions { catalog, projects }
    }

    /// Every file's state, by kind and file.
    pub(crate) fn states(&self) -> Vec<DefinitionState> {
        self.states.values().cloned().collect()
    }

    /// Records the outcome of every file of `kind` (files not listed no longer exist), keeping
    /// the time of states that did not change, and logs the changes.
    pub(crate) fn record(&mut self, kind: DefinitionKind, outcomes: Vec<Outcome>) {
        let now = SystemTime::now();
        let mut next = BTreeMap::new();
        for outcome in outcomes {
            let key = (kind, outcome.file.clone());
            let state = if outcome.refusal.is_some() { Serving::Refused } else { Serving::Serving };
            let previous = self.states.get(&key);
            let unchanged =
                previous.is_some_and(|previous| previous.state == state && previous.reason == outcome.refusal);
            let at = match previous {
                Some(previous) if unchanged => previous.at,
                _ => now,
            };
            if !unchanged {
                match &outcome.refusal {
                    Some(reason) => {
                        tracing::warn!(file = %outcome.file, "definition refused, the previous one serves: {reason}")
                    }
                    None if previous.is_some() => tracing::info!(file = %outcome.file, "definition serves again"),
                    None => {}
                }
            }
            let definition =
                DefinitionState { kind, file: outcome.file, name: outcome.name, state, reason: outcome.refusal, at };
            next.insert(key, definition);
        }
        self.states.retain(|(state_kind, _), _| *state_kind != kind);
        self.states.extend(next);
    }

    /// The entities of their directory, each changed file checked against the others and then
    /// prepared in the store; a file that fails keeps its previous entity. `None` when the
    /// entities serving did not change.
    fn reload_entities(&mut self, directories: &Directories, store: &Store) -> Result<Option<Arc<Catalog>>> {
        let dir = &directories.entities;
        let mut refusals: BTreeMap<String, String> = BTreeMap::new();
        let mut changes: Vec<(String, Option<Entity>)> = Vec::new();
        let files = read_files(dir)?;
        let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        for (name, text) in files {
            match parse_entity(&label(dir, &name), text) {
                Ok(entity) if self.entities.get(&name) == Some(&entity) => {}
                Ok(entity) => changes.push((name, Some(entity))),
                Err(error) => {
                    refusals.insert(name, format!("{error:#}"));
                }
            }
        }
        for name in self.entities.keys().filter(|name| !names.contains(name)) {
            changes.push((name.clone(), None));
        }

        // All changes together first (one may need another), then each alone on what was
        // accepted so far, until no more can be.
        let mut accepted = self.entities.clone();
        let together = apply(&accepted, &changes);
        if catalog_of(&together).is_ok() {
            accepted = together;
        } else {
            let mut pending = changes.clone();
            loop {
                let before = pending.len();
                let mut still = Vec::new();
                for change in pending {
                    let trial = apply(&accepted, std::slice::from_ref(&change));
                    match catalog_of(&trial) {
                        Ok(_) => accepted = trial,
                        Err(error) => {
                            refusals.insert(change.0.clone(), format!("{error:#}"));
                            still.push(change);
                        }
                    }
                }
                pending = still;
                if pending.is_empty() || pending.len() == before {
                    break;
                }
            }
        }
        // Files accepted after all lose the refusal an earlier try gave them.
        refusals.retain(|name, _| {
            let wanted = changes.iter().find(|(file, _)| file == name).map(|(_, entity)| entity.as_ref());
            match wanted {
                Some(wanted) => accepted.get(name) != wanted,
                None => true,
            }
        });

        // The store migrates the tables or refuses an entity with advice; that entity keeps
        // its previous definition and the store is asked again.
        let catalog = loop {
            if accepted == self.entities {
                break None;
            }
            let catalog = catalog_of(&accepted)?;
            match store.prepare(&catalog) {
                Ok(()) => break Some(Arc::new(catalog)),
                Err(error) => {
                    let refused = error.downcast_ref::<EntityRefused>().map(|refused| refused.0.clone());
                    let file = refused.and_then(|entity| {
                        accepted.iter().find(|(_, accepted)| accepted.name == entity).map(|(file, _)| file.clone())
                    });
                    let Some(file) = file.filter(|file| self.entities.get(file) != accepted.get(file)) else {
                        // Not one entity's fault (the database is down, say): none changes.
                        let reason = format!("the store cannot take the changed entities: {error:#}");
                        for (name, _) in &changes {
                            if self.entities.get(name) != accepted.get(name) {
                                refusals.insert(name.clone(), reason.clone());
                            }
                        }
                        accepted = self.entities.clone();
                        continue;
                    };
                    refusals.insert(file.clone(), format!("the store refuses it: {error:#}"));
                    match self.entities.get(&file) {
                        Some(previous) => accepted.insert(file, previous.clone()),
                        None => accepted.remove(&file),
                    };
                }
            }
        };
        self.entities = accepted;

        let mut outcomes = Vec::new();
        for name in &names {
            let serving = self.entities.get(name).map(|entity| entity.name.clone());
            outcomes.push(Outcome {
                file: label(dir, name),
                name: serving.unwrap_or_else(|| stem(name)),
                refusal: refusals.remove(name),
            });
        }
        // A removed file whose entity others still need keeps serving, refused.
        for (name, reason) in refusals {
            let serving = self.entities.get(&name).map(|entity| entity.name.clone());
            outcomes.push(Outcome {
                file: label(dir, &name),
                name: serving.unwrap_or_else(|| stem(&name)),
                refusal: Some(reason),
            });
        }
        self.record(DefinitionKind::Entity, outcomes);
        Ok(catalog)
    }

    /// The projects of their directory, each checked against `catalog`; a file that fails
    /// keeps its previous project.
    fn reload_projects(&mut self, directories: &Directories, catalog: &Catalog) -> Result<Projects> {
        let dir = &directories.projects;
        let mut serving: BTreeMap<String, Project> = BTreeMap::new();
        let mut outcomes = Vec::new();
        for (name, text) in read_files(dir)? {
            let checked = parse_project(directories, &name, text).and_then(|project| {
                project.check(catalog)?;
                if let Some((file, _)) =
                    serving.iter().find(|(_, other)| other.name.eq_ignore_ascii_case(&project.name))
                {
                    anyhow::bail!("project {} is also defined by {}", project.name, label(dir, file));
                }
                Ok(project)
            });
            let (project, refusal) = match checked {
                Ok(project) => (Some(project), None),
                Err(error) => (self.projects.get(&name).cloned(), Some(format!("{error:#}"))),
            };
            let project_name = project.as_ref().map_or_else(|| stem(&name), |project| project.name.clone());
            outcomes.push(Outcome { file: label(dir, &name), name: project_name, refusal });
            if let Some(project) = project {
                serving.insert(name, project);
            }
        }
        self.projects = serving;
        self.record(DefinitionKind::Project, outcomes);
        Ok(Projects::new(self.projects.values().cloned().collect()))
    }
}

/// `entities` with `changes` made: a new definition for a file, or the file removed.
fn apply(entities: &BTreeMap<String, Entity>, changes: &[(String, Option<Entity>)]) -> BTreeMap<String, Entity> {
    let mut applied = entities.clone();
    for (file, entity) in changes {
        match entity {
            Some(entity) => applied.insert(file.clone(), entity.clone()),
            None => applied.remove(file),
        };
    }
    applied
}

/// The catalog of `entities`, in file-name order as at start.
fn catalog_of(entities: &BTreeMap<String, Entity>) -> Result<Catalog> {
    Catalog::new(entities.values().cloned().collect())
}

fn parse_entity(label: &str, text: Result<String>) -> Result<Entity> {
    Entity::parse(&text?, label)
}

fn parse_project(directories: &Directories, name: &str, text: Result<String>) -> Result<Project> {
    let mut project = Project::parse(&text?, &stem(name))
        .with_context(|| format!("invalid project {}", label(&directories.projects, name)))?;
    project.stylesheet_dir.clone_from(&directories.stylesheets);
    Ok(project)
}

/// Every `*.toml` file of `dir` by name, in name order, with its text or why it cannot be
/// read. A hidden file is an editor's or a writer's unfinished one, and is left alone.
pub(crate) fn read_files(dir: &Path) -> Result<Vec<(String, Result<String>)>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read directory {}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| crate::watcher::is_definition_file(path))
        .filter_map(|path| path.file_name().and_then(|name| name.to_str()).map(str::to_owned))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).with_context(|| format!("cannot read {name}"));
            (name, text)
        })
        .collect())
}

/// How states name file `name` of `dir`: under the directory's own name, so that no path of
/// the server's file system is shown.
pub(crate) fn label(dir: &Path, name: &str) -> String {
    match dir.file_name().and_then(|dir| dir.to_str()) {
        Some(dir) => format!("{dir}/{name}"),
        None => name.to_owned(),
    }
}

/// The stem of file name `name`.
pub(crate) fn stem(name: &str) -> String {
    Path::new(name).file_stem().map_or_else(|| name.to_owned(), |stem| stem.to_string_lossy().into_owned())
}
