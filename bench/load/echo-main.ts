// Child-process entry of the echo baseline server: listens on loopback, sends {port} over IPC, and
// exits when the parent disconnects or sends {cmd: 'stop'}.
import { startEchoServer } from './echo-server.js';

const server = await startEchoServer({ host: '127.0.0.1', port: 0 });
process.send?.({ ready: true, port: server.port, pid: process.pid });
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'stop') stop();
});
process.on('disconnect', stop);
