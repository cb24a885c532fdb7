//! A TCP proxy of the harness's own, between the app and a real server (MariaDB), that can
//! cut the line: `cut` resets every open connection (TCP RST, as a server crash or a network
//! fault does) and refuses new ones until `restore`. Stopped when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct TcpProxy {
    address: SocketAddr,
    cut: Arc<AtomicBool>,
    /// Bumped on every `cut`, so open connections reset themselves.
    generation: watch::Sender<u64>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let address = listener.local_addr().expect("proxy address");
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, _) = watch::channel(0);
        let accepting = tokio::spawn(accept(listener, upstream, cut.clone(), generation.clone()));
        Self {
            address,
            cut,
            generation,
            accepting,
        }
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Resets every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|generation| *generation += 1);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    cut: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if cut.load(Ordering::SeqCst) {
            reset(client);
            continue;
        }
        let reset_signal = generation.subscribe();
        tokio::spawn(forward(client, upstream, reset_signal));
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, mut reset_signal: watch::Receiver<u64>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let piping = async {
        tokio::select! {
            _ = tokio::io::copy(&mut client_read, &mut server_write) => {}
            _ = tokio::io::copy(&mut server_read, &mut client_write) => {}
        }
    };
    tokio::select! {
        () = piping => {}
        _ = reset_signal.changed() => {
            if let (Ok(client), Ok(server)) = (
                client_read.reunite(client_write),
                server_read.reunite(server_write),
            ) {
                reset(client);
                reset(server);
            }
        }
    }
}

/// Closes with a TCP RST rather than a FIN, as a crashed peer does.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}
