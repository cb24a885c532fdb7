//! A TCP proxy of the harness's own, between the app and a real server (MariaDB), that can
//! cut the line: `cut` resets every open connection (TCP RST, as a server crash or a network
//! fault does) and refuses new ones until `restore`; `stall` holds every byte in both
//! directions, on open and new connections alike (a network dropping packets, a server
//! frozen), until `restore` lets them through. Stopped when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct TcpProxy {
    address: SocketAddr,
    cut: Arc<AtomicBool>,
    /// Bumped on every `cut`, so open connections reset themselves.
    generation: watch::Sender<u64>,
    stalled: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let address = listener.local_addr().expect("proxy address");
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, _) = watch::channel(0);
        let (stalled, _) = watch::channel(false);
        let line = Line {
            upstream,
            cut: cut.clone(),
            generation: generation.clone(),
            stalled: stalled.clone(),
        };
        let accepting = tokio::spawn(accept(listener, line));
        Self {
            address,
            cut,
            generation,
            stalled,
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

    /// Holds every byte, in both directions, until `restore`.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Accepts connections again and lets held bytes through.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.stalled.send_replace(false);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

/// What every connection of the proxy shares.
struct Line {
    upstream: SocketAddr,
    cut: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
    stalled: watch::Sender<bool>,
}

async fn accept(listener: TcpListener, line: Line) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if line.cut.load(Ordering::SeqCst) {
            reset(client);
            continue;
        }
        tokio::spawn(forward(
            client,
            line.upstream,
            line.generation.subscribe(),
            line.stalled.subscribe(),
        ));
    }
}

async fn forward(
    client: TcpStream,
    upstream: SocketAddr,
    mut reset_signal: watch::Receiver<u64>,
    stalled: watch::Receiver<bool>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let piping = async {
        tokio::select! {
            () = pump(&mut client_read, &mut server_write, stalled.clone()) => {}
            () = pump(&mut server_read, &mut client_write, stalled) => {}
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

/// Copies one direction until either side closes, holding each chunk while the line stalls.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if stalled.wait_for(|stalled| !*stalled).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// Closes with a TCP RST rather than a FIN, as a crashed peer does.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}
