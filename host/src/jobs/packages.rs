//! The data-package API's work: importing an uploaded package, exporting a project to a
//! package, and the error-keys files, each as an execution that runs in the background (D365
//! runs them in batch) and is followed through its execution record.

use anyhow::{Context as _, Result, bail};

use super::queue::now_millis;
use super::{Blob, BlobKind, Jobs, sync_file};
use crate::pipeline::{Input, RunOptions, Silent, check_execution_id, new_execution_id};
use crate::store::{Execution, ExecutionStatus, Operation};

/// An `ImportFromPackage` request, checked.
#[derive(Debug, Clone)]
pub struct PackageImport {
    /// The data project (D365's definition group).
    pub project: String,
    /// The uploaded package.
    pub blob: Blob,
    /// The execution id the client chose, or none.
    pub execution_id: Option<String>,
    /// The legal entity: rows that name no company get it.
    pub company: String,
    /// The only companies rows may name; `None`: any.
    pub companies: Option<std::sync::Arc<[String]>>,
    /// `execute=false`: stop at staging.
    pub staging_only: bool,
}

/// An `ExportToPackage` request, checked.
#[derive(Debug, Clone)]
pub struct PackageExport {
    /// The data project.
    pub project: String,
    /// The package's name, without `.zip`.
    pub package_name: String,
    /// The execution id the client chose, or none.
    pub execution_id: Option<String>,
    /// The legal entity, the only one whose rows the package holds.
    pub company: String,
    /// The client asking.
    pub owner: String,
}

impl Jobs {
    /// Starts importing an uploaded package; returns the execution id at once. The execution
    /// is recorded as not run before this returns, so a status query right after finds it.
    pub async fn import_package(&self, request: PackageImport) -> Result<String> {
        let project = self.project(&request.project, Operation::Import)?;
        let Some(size) = request.blob.size else { bail!("nothing was uploaded to {}", request.blob.name) };
        if size == 0 {
            bail!("the uploaded package {} is empty", request.blob.name);
        }
        let execution =
            self.not_run(&project, request.execution_id, request.company.clone(), Operation::Import).await?;
        let id = execution.id.clone();
        let blob = request.blob.id;
        self.in_background(execution.clone(), move |jobs| {
            // The package as a file, which the pipeline reads: with PostgreSQL, a copy made
            // now, on whichever replica runs the import, and removed when it ends.
            let package = jobs.blobs().file_blocking(blob)?;
            let options = RunOptions {
                company: Some(request.company),
                companies: request.companies,
                execution_id: Some(execution.id.clone()),
                staging_only: request.staging_only,
                ..RunOptions::default()
            };
            let definitions = jobs.deployment().definitions();
            let project = definitions.projects.require(&project.name)?;
            let input = Input::Package { path: package.path().to_owned() };
            jobs.deployment().pipeline_for(&definitions).import(project, &input, &options, &Silent).map(drop)
        });
        Ok(id)
    }

    /// Starts exporting a project to a package; returns the execution id at once.
    pub async fn export_package(&self, request: PackageExport) -> Result<String> {
        let mut project = self.project(&request.project, Operation::Export)?;
        // A client polls for the package until it exists, so an empty export still makes one.
        project.skip_when_empty = false;
        let execution =
            self.not_run(&project, request.execution_id, request.company.clone(), Operation::Export).await?;
        let id = execution.id.clone();
        let blob = self
            .blobs()
            .create(
                BlobKind::Export,
                format!("{}.zip", request.package_name),
                Some(id.clone()),
                Some(request.company.clone()),
                Some(request.owner),
            )
            .await?;
        self.in_background(execution.clone(), move |jobs| {
            let out = jobs.blobs().files().incoming.join(format!("{}.zip", blob.id));
            let options = RunOptions {
                company: Some(request.company),
                execution_id: Some(execution.id.clone()),
                ..RunOptions::default()
            };
            let pipeline = jobs.deployment().pipeline_for(&jobs.deployment().definitions());
            let outcome = pipeline.export(&project, &out, &options, &Silent)?;
            let output = outcome.output.context("the export produced no package")?;
            sync_file(&output)?;
            jobs.blobs().store_file_blocking(blob.id, &output).map(drop)
        });
        Ok(id)
    }

    /// The package an export wrote, once it is complete.
    pub async fn exported_package(&self, execution: &str) -> Result<Option<Blob>> {
        let blob = self.blobs().of_execution(execution.to_owned(), BlobKind::Export, None).await?;
        Ok(blob.filter(|blob| blob.size.is_some()))
    }

    /// Makes the error-keys file of `entity` in `execution`: the records the import rejected,
    /// with their source values. `false` when it rejected none.
    pub async fn generate_error_keys(&self, execution: &Execution, entity: &str) -> Result<bool> {
        let definitions = self.deployment().definitions();
        let Some(entity) = definitions.catalog.get(entity) else { return Ok(false) };
        let (jobs, id, label) = (self.clone(), execution.id.clone(), entity.label.clone());
        let source = tokio::task::spawn_blocking(move || jobs.deployment().pipeline.fetch_error_file(&id, &label))
            .await
            .context("fetching an error file panicked")??;
        let Some(source) = source else { return Ok(false) };
        let name = format!("{}-errors.csv", entity.label);
        let blob = self
            .blobs()
            .create(BlobKind::ErrorKeys, name, Some(execution.id.clone()), execution.company.clone(), None)
            .await?;
        let incoming = self.blobs().files().incoming.clone();
        let copy = tokio::task::spawn_blocking(move || -> Result<tempfile::TempPath> {
            let target = tempfile::NamedTempFile::new_in(&incoming)
                .context("cannot make a file for an error file")?
                .into_temp_path();
            std::fs::copy(&source, &target).with_context(|| format!("cannot copy {}", source.display()))?;
            sync_file(&target)?;
            Ok(target)
        })
        .await
        .context("copying an error file panicked")??;
        self.blobs().store_file(blob.id, &copy).await?;
        Ok(true)
    }

    /// The error-keys file of `entity` in `execution`, once generated.
    pub async fn error_keys(&self, execution: &str, entity: &str) -> Result<Option<Blob>> {
        let Some(entity) = self.deployment().definitions().catalog.get(entity).cloned() else { return Ok(None) };
        let name = format!("{}-errors.csv", entity.label);
        let blob = self.blobs().of_execution(execution.to_owned(), BlobKind::ErrorKeys, Some(name)).await?;
        Ok(blob.filter(|blob| blob.size.is_some()))
    }

    fn project(&self, name: &str, operation: Operation) -> Result<crate::pipeline::Project> {
        let definitions = self.deployment().definitions();
        let project = definitions.projects.require(name)?;
        if project.operation != operation {
            bail!("data project {} is an {} project", project.name, project.operation.as_str());
        }
        Ok(project.clone())
    }

    /// Records a new execution as not run yet.
    async fn not_run(
        &self,
        project: &crate::pipeline::Project,
        execution_id: Option<String>,
        company: String,
        operation: Operation,
    ) -> Result<Execution> {
        let id = match execution_id.filter(|id| !id.trim().is_empty()) {
            Some(id) => {
                check_execution_id(&id)?;
                id
            }
            None => new_execution_id(&project.name),
        };
        let execution = Execution {
            id,
            project: project.name.clone(),
            operation,
            status: ExecutionStatus::NotRun,
            started: crate::jobs::queue::format_millis(now_millis()),
            completed: None,
            company: Some(company.to_ascii_lowercase()),
            entities: Vec::new(),
        };
        let (store, saved) = (self.deployment().pipeline.store.clone(), execution.clone());
        tokio::task::spawn_blocking(move || {
            if store.execution(&saved.id)?.is_some() {
                bail!("execution {} exists already; choose another execution id or send none", saved.id);
            }
            store.save_execution(&saved)
        })
        .await
        .context("saving an execution panicked")??;
        Ok(execution)
    }

    /// Runs `work` on a blocking thread once a worker is free, without waiting for it. When
    /// it fails before the pipeline recorded an outcome, `execution` is recorded as failed.
    fn in_background(&self, execution: Execution, work: impl FnOnce(&Jobs) -> Result<()> + Send + 'static) {
        let jobs = self.clone();
        tokio::spawn(async move {
            let Ok(permit) = jobs.inner.workers.clone().acquire_owned().await else { return };
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let Err(error) = work(&jobs) else { return };
                tracing::warn!(execution = %execution.id, "package execution failed: {error:#}");
                let store = &jobs.deployment().pipeline.store;
                let recorded = store.execution(&execution.id).ok().flatten();
                if recorded.is_none_or(|recorded| recorded.completed.is_none()) {
                    let failed = Execution {
                        status: ExecutionStatus::Failed,
                        completed: Some(crate::jobs::queue::format_millis(now_millis())),
                        ..execution
                    };
                    if let Err(error) = store.save_execution(&failed) {
                        tracing::error!("cannot record a failed execution: {error:#}");
                    }
                }
            });
        });
    }
}
