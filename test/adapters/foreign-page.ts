// A stranger on a provider's port: Apache's 404 page, ten lines of HTML. Shared by the adapter and
// end-to-end tests that check a message quotes one line of it.
import { createServer, type Server } from 'node:http';

export const APACHE_404 = [
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">',
  '<html><head>',
  '<title>404 Not Found</title>',
  '</head><body>',
  '<h1>Not Found</h1>',
  '<p>The requested URL was not found on this server.</p>',
  '<hr>',
  '<address>Apache/2.4.58 (Ubuntu) Server at 127.0.0.1 Port 8000</address>',
  '</body></html>',
  '',
].join('\n');

/** Listens on 127.0.0.1:port and answers every request with the page and a 404. */
export async function startApache404(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html; charset=iso-8859-1' }).end(APACHE_404);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
