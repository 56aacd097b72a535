//! The listener the central system serves on: plain TCP, or HTTPS done by the server itself
//! (tokio-rustls on the ring provider) when `[tls]` is configured, so a small organisation
//! needs no reverse proxy.
//!
//! It owns the TLS handshakes: they run in their own tasks with a time limit, so a slow or
//! silent client cannot hold up other connections. It must not know the routes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// A byte stream to a client, plain or TLS.
pub trait ClientStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ClientStream for T {}

/// The client's address, for the sign-in limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, CentralListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, CentralListener>) -> PeerAddr {
        PeerAddr(*stream.remote_addr())
    }
}

/// Plain TCP, or TLS connections whose handshakes are done.
pub enum CentralListener {
    Plain(TcpListener),
    Tls {
        local: std::io::Result<SocketAddr>,
        ready: mpsc::Receiver<(tokio_rustls::server::TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    },
}

impl CentralListener {
    /// Wraps `listener`; with a TLS config, accepting and handshakes start in the background.
    pub fn new(listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> CentralListener {
        let Some(config) = tls else { return CentralListener::Plain(listener) };
        let local = listener.local_addr();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let (send, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (tcp, addr) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        log::warn!("central: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if send.is_closed() {
                    return;
                }
                let (acceptor, send) = (acceptor.clone(), send.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = send.send((stream, addr)).await;
                        }
                        Ok(Err(e)) => log::debug!("central: TLS handshake with {addr} failed: {e}"),
                        Err(_) => log::debug!("central: TLS handshake with {addr} timed out"),
                    }
                });
            }
        });
        CentralListener::Tls { local, ready }
    }
}

impl Listener for CentralListener {
    type Io = Box<dyn ClientStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        match self {
            CentralListener::Plain(listener) => loop {
                match TcpListener::accept(listener).await {
                    Ok((stream, addr)) => return (Box::new(stream), addr),
                    Err(e) => {
                        log::warn!("central: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            },
            CentralListener::Tls { ready, .. } => match ready.recv().await {
                Some((stream, addr)) => (Box::new(stream), addr),
                // The accept task ended: nothing will come any more.
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            CentralListener::Plain(listener) => listener.local_addr(),
            CentralListener::Tls { local, .. } => {
                local.as_ref().map(|a| *a).map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
            }
        }
    }
}

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct TlsError {
    pub path: String,
    pub reason: String,
}

/// A server config from PEM files (certificate chain, private key).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |path: &Path, reason: String| TlsError { path: path.display().to_string(), reason };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| fail(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(fail(cert, "no certificate in this file".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(key, e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(loket_protocol::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| fail(key, e.to_string()))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
