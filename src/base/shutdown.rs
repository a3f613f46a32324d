//! One shutdown signal that every task awaits: set once (by Ctrl-C,
//! SIGTERM, the end of a bounded run, or a test), seen by all.

use tokio::sync::watch;

/// The sending half: [`Shutdown::trigger`] sets the signal for every
/// [`Signal`] made from it.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

/// The receiving half, cheap to clone into each task.
#[derive(Debug, Clone)]
pub struct Signal {
    rx: watch::Receiver<bool>,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        let (tx, _) = watch::channel(false);
        Shutdown { tx: std::sync::Arc::new(tx) }
    }

    pub fn signal(&self) -> Signal {
        Signal { rx: self.tx.subscribe() }
    }

    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Triggers on Ctrl-C or SIGTERM. Must be called inside a tokio runtime.
    pub fn on_signals(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down on a signal");
            me.trigger();
        });
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Signal {
    pub fn is_set(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once the shutdown is triggered (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means every sender is gone: nobody can trigger any more,
        // and a program without a sender is shutting down anyway.
        let _ = self.rx.wait_for(|set| *set).await;
    }
}

/// Ctrl-C or, on Unix, SIGTERM (what systemd and `docker stop` send).
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM ({e}); only Ctrl-C stops this process cleanly");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_signal_sees_one_trigger() {
        let shutdown = Shutdown::new();
        let (mut a, b) = (shutdown.signal(), shutdown.signal());
        assert!(!a.is_set() && !shutdown.is_triggered());
        let waiter = tokio::spawn(async move { a.wait().await });
        shutdown.trigger();
        waiter.await.unwrap();
        assert!(b.is_set());
        // A signal made after the trigger sees it at once.
        shutdown.signal().wait().await;
    }
}
