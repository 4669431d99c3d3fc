//! A results folder replaced whole or not at all.
//!
//! A run writes into a staging folder beside its output folder (same parent, so the
//! same file system) and, only when every file is complete, swaps it in: the old
//! folder is renamed aside, the staging folder renamed into place, and the old one
//! removed. Until the swap, the previous results are untouched; if the run fails or is
//! interrupted, the staging folder is deleted and nothing else changes. The swap is
//! two renames: a crash exactly between them leaves the complete old results in the
//! hidden `.NAME.pbrsim-old-*` folder beside it and the complete new ones in
//! `.NAME.pbrsim-new-*`, never a half-written folder.
//!
//! A folder is only replaced if it is empty or holds pbrsim results (a
//! `manifest.json`): `--out ~` must not delete a home directory.

use std::fs;
use std::path::{Path, PathBuf};

use super::OutputError;

/// The file whose presence marks a folder as pbrsim results.
pub const MARKER: &str = "manifest.json";

/// A staging folder for the results that will replace `target`.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    /// `None` once committed.
    dir: Option<tempfile::TempDir>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Checks that `target` may be replaced and creates the staging folder beside it.
/// Call it before a long run, so that an unwritable or foreign output folder is
/// reported before hours of work rather than after.
pub fn stage(target: &Path) -> Result<Staged, OutputError> {
    if target.exists() {
        if !target.is_dir() {
            return Err(OutputError::NotResults { path: target.to_path_buf(), why: "it is a file, not a folder" });
        }
        let empty = fs::read_dir(target).map_err(io(target))?.next().is_none();
        if !empty && !target.join(MARKER).is_file() {
            return Err(OutputError::NotResults {
                path: target.to_path_buf(),
                why: "it is not empty and holds no pbrsim manifest.json",
            });
        }
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let dir = tempfile::Builder::new()
        .prefix(&format!(".{}.pbrsim-new-", name(target)))
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    Ok(Staged { target: target.to_path_buf(), dir: Some(dir) })
}

fn name(target: &Path) -> String {
    target.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned())
}

impl Staged {
    /// The folder to write the new results into.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(self.target.as_path(), |d| d.path())
    }

    /// Swaps the staged results into place. The previous results, if any, are
    /// removed only after the new ones are in place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let dir = self.dir.take().expect("committed once");
        let staged = dir.keep();
        let target = self.target.clone();
        let parent = staged.parent().unwrap_or(Path::new(".")).to_path_buf();
        let old = if target.exists() {
            // The staging folder's own random suffix makes the name unique.
            let suffix = staged.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let aside = parent.join(suffix.replacen(".pbrsim-new-", ".pbrsim-old-", 1));
            fs::rename(&target, &aside).map_err(io(&target))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = fs::rename(&staged, &target) {
            // Put the old results back: the user keeps what they had.
            if let Some(old) = &old {
                let _ = fs::rename(old, &target);
            }
            let _ = fs::remove_dir_all(&staged);
            return Err(io(&target)(e));
        }
        if let Some(old) = old {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Not committed: the `TempDir` removes the staging folder, nothing else changes.
        drop(self.dir.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_on_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join(MARKER), "old").unwrap();
        fs::write(out.join("stale.csv"), "old").unwrap();

        // Abandoned: the old results stay, the staging folder goes.
        let s = stage(&out).unwrap();
        fs::write(s.path().join(MARKER), "half").unwrap();
        drop(s);
        assert_eq!(fs::read_to_string(out.join(MARKER)).unwrap(), "old");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);

        // Committed: the folder is replaced whole (the stale file goes too).
        let s = stage(&out).unwrap();
        fs::write(s.path().join(MARKER), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join(MARKER)).unwrap(), "new");
        assert!(!out.join("stale.csv").exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no staging folders left");
    }

    #[test]
    fn refuses_a_folder_that_is_not_results() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = stage(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("holds no pbrsim manifest.json"), "{err}");
        let file = tmp.path().join("notes.txt");
        assert!(stage(&file).is_err());
        // A new or empty folder is fine.
        stage(&tmp.path().join("new")).unwrap().commit().unwrap();
        assert!(tmp.path().join("new").is_dir());
    }
}
