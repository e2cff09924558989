//! Data projects: named import and export definitions, one TOML file each in the deployment's
//! `projects/` directory.
//!
//! ```toml
//! name = "Customers import"       # the data project (D365's definition group)
//! operation = "import"
//! continue_on_error = true
//!
//! [[entity]]
//! entity = "Customer"
//! format = "CSV"                  # CSV, CSV-Unicode, XML-Element, XML-Attribute, JSON, EXCEL,
//!                                 # FIXED, or DOCUMENT (the whole file to a mapper)
//! mapper = "customer-csv-mapper"  # plugin stages, each optional
//! filter = "company-filter"
//! level = 1                       # execution unit / level / sequence, as in D365
//! [entity.map]                    # entity field = source column (default: same name, any case)
//! CustomerAccount = "ACCOUNTNUM"
//! [entity.defaults]
//! CustomerGroup = "10"
//! [entity.values.Blocked]         # value conversions, source text = entity value
//! N = "No"
//! ```

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::entity::convert::FieldSource;
use crate::entity::{Catalog, ParseOptions};
use crate::store::Operation;

/// A data project.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// The name (D365's `definitionGroupId`); defaults to the file's stem.
    #[serde(default)]
    pub name: String,
    /// What it does.
    pub operation: Operation,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// When true, rejected rows are skipped and the rest imported; when false, the first
    /// rejected row stops its entity (that batch is not written) and the levels after it.
    #[serde(default = "yes")]
    pub continue_on_error: bool,
    /// Rows per batch: per plugin call and per store transaction.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The company rows get when they name none.
    pub company: Option<String>,
    /// Import: stop after staging, for an operator to review and copy to the target (D365's
    /// "import to staging only"; see `wharf staging`).
    #[serde(default)]
    pub staging_only: bool,
    /// Export: write a data package even for one entity.
    #[serde(default)]
    pub package: bool,
    /// Export: write nothing when no rows are selected.
    #[serde(default)]
    pub skip_when_empty: bool,
    /// XSLT stylesheets (files of the deployment's `stylesheets/` folder) applied in order to
    /// every document: on import before it is parsed, on export after it is written. Each
    /// entity's own `stylesheets` follow these.
    #[serde(default)]
    pub stylesheets: Vec<String>,
    /// The entities, processed in (execution unit, level, sequence) order.
    #[serde(rename = "entity")]
    pub entities: Vec<ProjectEntity>,
    /// The deployment's stylesheet folder, set when the project is loaded from a deployment.
    #[serde(skip)]
    pub stylesheet_dir: Option<std::path::PathBuf>,
}

fn yes() -> bool {
    true
}

/// Large enough that per-call and per-commit costs (a plugin instance, an fsync) vanish
/// against the rows, small enough that a batch's memory stays a few megabytes.
fn default_batch_size() -> usize {
    5_000
}

/// Most rows per batch: a batch crosses into a plugin whose memory is capped.
const MAX_BATCH_SIZE: usize = 100_000;

/// One entity of a project.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntity {
    /// The entity's name, label or entity set.
    pub entity: String,
    /// The source (import) or target (export) format's name, D365's where it has one.
    #[serde(default = "default_format")]
    pub format: String,
    /// Options of the format (delimiter, columns, sheet, …).
    #[serde(default)]
    pub options: toml::Table,
    /// How text becomes numbers and dates.
    #[serde(default)]
    pub parse: ParseOptions,
    /// D365's execution unit: units are independent of each other.
    #[serde(default = "one")]
    pub execution_unit: u32,
    /// Level within the unit: a level starts when the one before it has finished.
    #[serde(default = "one")]
    pub level: u32,
    /// Order within the level.
    #[serde(default = "one")]
    pub sequence: u32,
    /// Stop the levels after this one when this entity has rejected rows.
    #[serde(default)]
    pub fail_level_on_error: bool,
    /// Export: whether D365 runs the entity's insert and update logic when it imports the
    /// package (`RunBusinessLogic` in its manifest). On by default, as in D365's own packages.
    #[serde(default = "yes")]
    pub run_business_logic: bool,
    /// Export: whether D365 runs the entity's `validateWrite` when it imports the package
    /// (`RunBusinessValidation`). On by default, as in D365's own packages.
    #[serde(default = "yes")]
    pub run_business_validation: bool,
    /// XSLT stylesheets applied in order to this entity's document, after the project's:
    /// on import before the transform plugin and the parser, on export after the writer.
    #[serde(default)]
    pub stylesheets: Vec<String>,
    /// Transform plugin applied to the whole document first.
    pub transform: Option<String>,
    /// Mapper plugin: import, source rows → entity rows; export, entity rows → partner rows.
    pub mapper: Option<String>,
    /// Filter plugin: which rows go on.
    pub filter: Option<String>,
    /// Entity field = source column.
    #[serde(default)]
    pub map: HashMap<String, String>,
    /// Entity field = default value, used when the source has none.
    #[serde(default)]
    pub defaults: HashMap<String, String>,
    /// Entity field = { source text = entity value }.
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, String>>,
    /// Export: only rows changed since the last export of this project.
    #[serde(default)]
    pub incremental: bool,
    /// Export: the file name (default: the entity's label and the format's extension).
    pub file: Option<String>,
}

fn default_format() -> String {
    "CSV".into()
}

fn one() -> u32 {
    1
}

impl ProjectEntity {
    /// Where each entity field's value comes from, from `map`, `defaults` and `values`.
    pub fn field_sources(&self) -> HashMap<String, FieldSource> {
        let mut sources: HashMap<String, FieldSource> = HashMap::new();
        for (field, column) in &self.map {
            sources.entry(field.clone()).or_default().column = Some(column.clone());
        }
        for (field, default) in &self.defaults {
            sources.entry(field.clone()).or_default().default = Some(default.clone());
        }
        for (field, values) in &self.values {
            sources.entry(field.clone()).or_default().values = values.clone();
        }
        sources
    }

    /// The (execution unit, level, sequence) this entity runs at.
    pub fn order(&self) -> (u32, u32, u32) {
        (self.execution_unit, self.level, self.sequence)
    }
}

impl Project {
    /// Parses a project; `stem` is the name when the file gives none.
    pub fn parse(text: &str, stem: &str) -> Result<Project> {
        let mut project: Project = toml::from_str(text)?;
        if project.name.trim().is_empty() {
            project.name = stem.to_owned();
        }
        if project.entities.is_empty() {
            bail!("project {} has no [[entity]]", project.name);
        }
        if !(1..=MAX_BATCH_SIZE).contains(&project.batch_size) {
            bail!("project {}: batch_size must be between 1 and {MAX_BATCH_SIZE}", project.name);
        }
        project.entities.sort_by_key(ProjectEntity::order);
        Ok(project)
    }

    /// Checks every entity the project names against the catalog.
    pub fn check(&self, catalog: &Catalog) -> Result<()> {
        for entity in &self.entities {
            catalog.require(&entity.entity).with_context(|| format!("project {}", self.name))?;
        }
        Ok(())
    }

    /// The project's settings for `entity` (any of its names), when it lists it.
    pub fn entity(&self, entity: &crate::entity::Entity) -> Option<&ProjectEntity> {
        self.entities.iter().find(|candidate| entity.answers_to(&candidate.entity))
    }
}

/// The projects of a deployment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projects {
    projects: Vec<Project>,
}

impl Projects {
    /// These projects, whose names the caller has checked differ.
    pub fn new(projects: Vec<Project>) -> Projects {
        Projects { projects }
    }

    /// Reads every `*.toml` file of `dir`, checking each against `catalog`.
    pub fn load_dir(dir: &Path, catalog: &Catalog) -> Result<Projects> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read project directory {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
            .collect();
        files.sort();
        let mut projects = Vec::with_capacity(files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let stem = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
            let mut project =
                Project::parse(&text, &stem).with_context(|| format!("invalid project {}", path.display()))?;
            project.stylesheet_dir = dir.parent().map(|deployment| deployment.join(super::stylesheet::STYLESHEET_DIR));
            project.check(catalog)?;
            if projects.iter().any(|known: &Project| known.name.eq_ignore_ascii_case(&project.name)) {
                bail!("two projects are named {}", project.name);
            }
            projects.push(project);
        }
        Ok(Projects { projects })
    }

    /// The project named `name` (any case), or an error listing the known ones.
    pub fn require(&self, name: &str) -> Result<&Project> {
        self.projects.iter().find(|project| project.name.eq_ignore_ascii_case(name)).with_context(|| {
            let known: Vec<&str> = self.projects.iter().map(|project| project.name.as_str()).collect();
            format!("unknown project {name} (known: {})", known.join(", "))
        })
    }

    /// Every project.
    pub fn iter(&self) -> impl Iterator<Item = &Project> {
        self.projects.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_ordered_by_unit_level_and_sequence() {
        let text = r#"
operation = "import"
[[entity]]
entity = "SalesOrderLine"
level = 2
[[entity]]
entity = "SalesOrderHeader"
[[entity]]
entity = "Customer"
execution_unit = 0
"#;
        let project = Project::parse(text, "orders").expect("valid");
        assert_eq!(project.name, "orders");
        let order: Vec<&str> = project.entities.iter().map(|entity| entity.entity.as_str()).collect();
        assert_eq!(order, ["Customer", "SalesOrderHeader", "SalesOrderLine"]);
    }

    #[test]
    fn unknown_keys_and_bad_batch_sizes_are_refused() {
        let typo = "operation = \"import\"\n[[entity]]\nentity = \"A\"\nmaper = \"m\"\n";
        assert!(format!("{:#}", Project::parse(typo, "p").expect_err("typo")).contains("maper"));
        let huge = "operation = \"import\"\nbatch_size = 0\n[[entity]]\nentity = \"A\"\n";
        assert!(Project::parse(huge, "p").expect_err("zero").to_string().contains("batch_size"));
    }
}
