// The access matrix of the drive over WebDAV, through the real server and
// real HTTPS sockets, on both store backends: who (a role) may do what
// (a request) in which folder kind (OPERATOR.md), every cell the status the
// server must answer — and, for listings, exactly which names appear. Every
// decision behind these answers comes from core/acl (DESIGN.md rules 1-5).
//
// The people, and what makes them what they are:
//   ann   owner: her Documents hold Project/ (plan.txt), memo.txt, private.txt;
//         her Drop box holds welcome.txt (deposited by gina) and Sub/inner.txt
//   bob   co-member without any grant (he administers Club; ann is in it)
//   rita  co-member whose group (Readers, ann's) got a read share of Project/
//         and of the single file memo.txt
//   will  co-member whose group (Writers, ann's) got a read-write share of Project/
//   gina  administrator of Team (ann, mia, carl are members); Team holds minutes.txt
//   mia   Team member, read only
//   carl  Team member granted write by gina
//   rob   removed member: was in Team and Readers (and read both), removed from both
//   oscar outsider: in no group with anyone
import { expect } from 'chai';
import type { Account, Group } from '../../../src/store/types.ts';
import { files, listing, startDav, type DavResponse, type DavServer } from '../../support/dav.ts';
import { BACKENDS } from '../../support/store.ts';

const ROLES = ['owner', 'comember', 'reader', 'writer', 'admin', 'member', 'granted', 'removed', 'outsider'] as const;
type Role = (typeof ROLES)[number];
const WHO: Record<Role, string> = {
  owner: 'ann', comember: 'bob', reader: 'rita', writer: 'will', admin: 'gina', member: 'mia', granted: 'carl', removed: 'rob', outsider: 'oscar',
};
const ANN = 'ann@example.test';

/** An expected cell: a status, or a status and the exact (sorted) names a listing shows. */
type Want = number | readonly [number, readonly string[]];
/** One request of a column, made by `who`; `role` names the files it creates, so that rows never meet. */
interface Probe {
  readonly label: string;
  readonly run: (w: World, who: Account, role: Role) => Promise<DavResponse>;
  /** the folder whose Depth 1 listing the answer holds */
  readonly lists?: string;
}

interface World {
  readonly s: DavServer;
  readonly people: Record<Role, Account>;
  readonly groups: { club: Group; readers: Group; writers: Group; team: Group };
  /** the shares ann gave: id of each */
  readonly shares: { projectRead: number; projectWrite: number; memoRead: number };
}

const put = (path: string, text = 'data') => (w: World, who: Account): Promise<DavResponse> => w.s.dav('PUT', path, { user: who, body: text });
const get = (path: string) => (w: World, who: Account): Promise<DavResponse> => w.s.dav('GET', path, { user: who });
const del = (path: string) => (w: World, who: Account): Promise<DavResponse> => w.s.dav('DELETE', path, { user: who });
const mkcol = (path: string) => (w: World, who: Account): Promise<DavResponse> => w.s.dav('MKCOL', path, { user: who });
const propfind = (path: string, depth = '1') => (w: World, who: Account): Promise<DavResponse> =>
  w.s.dav('PROPFIND', path, { user: who, headers: { depth } });
const ls = (label: string, path: string): Probe => ({ label, run: propfind(path), lists: path });

const BOX = (...rest: string[]): string => files('Drop boxes', ANN, ...rest);
const SHARED = (...rest: string[]): string => files('Shared with me', ANN, ...rest);

interface Table {
  readonly title: string;
  readonly probes: readonly Probe[];
  readonly rows: Readonly<Record<Role, readonly Want[]>>;
}

const co = <T>(v: T): Record<'comember' | 'reader' | 'writer' | 'admin' | 'member' | 'granted', T> =>
  ({ comember: v, reader: v, writer: v, admin: v, member: v, granted: v });

const TABLES: readonly Table[] = [
  {
    title: 'own Documents/ (rule 1: every right on one\'s own space; nothing of ann\'s appears anywhere else)',
    probes: [
      ls('PROPFIND Documents/', files('Documents', '')),
      { label: 'PUT Documents/new-ROLE.txt', run: (w, who, role) => put(files('Documents', `new-${role}.txt`))(w, who) },
      { label: 'GET Documents/new-ROLE.txt', run: (w, who, role) => get(files('Documents', `new-${role}.txt`))(w, who) },
      { label: 'GET Documents/private.txt', run: get(files('Documents', 'private.txt')) },
    ],
    rows: {
      //        PROPFIND (names)                                  PUT  GET  GET private.txt
      owner: [[207, ['Project', 'memo.txt', 'private.txt']], 201, 200, 200],
      ...co([[207, []], 201, 200, 404] as const),
      removed: [[207, []], 201, 200, 404],
      outsider: [[207, []], 201, 200, 404],
    },
  },
  {
    title: 'a co-member\'s drop box, Drop boxes/ann@example.test/ (rule 4: deposit only — nothing listed, read or overwritten, not even names)',
    probes: [
      { label: 'PUT from-ROLE.txt', run: (w, who, role) => put(BOX(`from-${role}.txt`))(w, who) },
      ls('PROPFIND the box', BOX('')),
      { label: 'GET the box', run: get(BOX('')) },
      { label: 'GET welcome.txt (there)', run: get(BOX('welcome.txt')) },
      { label: 'GET nothing.txt (not there)', run: get(BOX('nothing.txt')) },
      { label: 'PROPFIND welcome.txt (there)', run: propfind(BOX('welcome.txt'), '0') },
      { label: 'PROPFIND nothing.txt (not there)', run: propfind(BOX('nothing.txt'), '0') },
      { label: 'PUT welcome.txt (overwrite)', run: put(BOX('welcome.txt'), 'replaced') },
      { label: 'DELETE welcome.txt', run: del(BOX('welcome.txt')) },
      { label: 'PROPFIND Sub/ (there)', run: propfind(BOX('Sub', '')) },
      { label: 'PROPFIND Nope/ (not there)', run: propfind(BOX('Nope', '')) },
      { label: 'GET Sub/inner.txt (there)', run: get(BOX('Sub', 'inner.txt')) },
      { label: 'GET Nope/inner.txt (not there)', run: get(BOX('Nope', 'inner.txt')) },
    ],
    rows: {
      //        PUT  PROPFIND     GET/ GET  GET  PF0  PF0  PUT  DEL  Sub/ Nope/ Sub/i Nope/i
      owner: [409, 404, 404, 404, 404, 404, 404, 409, 404, 404, 404, 404, 404],
      ...co([201, [207, []], 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 404] as const),
      removed: [409, 404, 404, 404, 404, 404, 404, 409, 404, 404, 404, 404, 404],
      outsider: [409, 404, 404, 404, 404, 404, 404, 409, 404, 404, 404, 404, 404],
    },
  },
  {
    title: 'own Drop box/ (the owner reads what co-members deposited)',
    probes: [
      ls('PROPFIND Drop box/', files('Drop box', '')),
      { label: 'GET Drop box/welcome.txt', run: get(files('Drop box', 'welcome.txt')) },
      { label: 'GET Drop box/Sub/inner.txt', run: get(files('Drop box', 'Sub', 'inner.txt')) },
    ],
    rows: {
      owner: [[207, ['Sub', 'welcome.txt']], 200, 200],
      ...co([[207, []], 404, 404] as const),
      removed: [[207, []], 404, 404],
      outsider: [[207, []], 404, 404],
    },
  },
  {
    title: 'Groups/Team/ (rule 3: the administrator writes, members read unless granted; others see nothing)',
    probes: [
      ls('PROPFIND Groups/', files('Groups', '')),
      ls('PROPFIND Groups/Team/', files('Groups', 'Team', '')),
      { label: 'GET minutes.txt', run: get(files('Groups', 'Team', 'minutes.txt')) },
      { label: 'PUT new-ROLE.txt', run: (w, who, role) => put(files('Groups', 'Team', `new-${role}.txt`))(w, who) },
      { label: 'PUT minutes.txt (overwrite)', run: put(files('Groups', 'Team', 'minutes.txt'), 'minutes, edited') },
      { label: 'MKCOL dir-ROLE/', run: (w, who, role) => mkcol(files('Groups', 'Team', `dir-${role}`))(w, who) },
    ],
    rows: {
      //         Groups/ (names)                 Team/ (names)              GET  PUT  over MKCOL
      owner: [[207, ['Club', 'Readers', 'Team', 'Writers']], [207, ['minutes.txt']], 200, 403, 403, 403],
      comember: [[207, ['Club']], 404, 404, 409, 409, 409],
      reader: [[207, ['Readers']], 404, 404, 409, 409, 409],
      writer: [[207, ['Writers']], 404, 404, 409, 409, 409],
      admin: [[207, ['Team']], [207, ['minutes.txt']], 200, 201, 204, 201],
      member: [[207, ['Team']], [207, ['minutes.txt']], 200, 403, 403, 403],
      granted: [[207, ['Team']], [207, ['minutes.txt']], 200, 201, 204, 201],
      removed: [[207, []], 404, 404, 409, 409, 409],
      outsider: [[207, []], 404, 404, 409, 409, 409],
    },
  },
  {
    title: 'a shared folder, Shared with me/ann@example.test/Project/ (rule 2: the rights of the share, to its group only)',
    probes: [
      ls('PROPFIND Shared with me/', files('Shared with me', '')),
      ls('PROPFIND Shared with me/ann/', SHARED('')),
      ls('PROPFIND Project/', SHARED('Project', '')),
      { label: 'GET Project/plan.txt', run: get(SHARED('Project', 'plan.txt')) },
      { label: 'PUT Project/new-ROLE.txt', run: (w, who, role) => put(SHARED('Project', `new-${role}.txt`))(w, who) },
      { label: 'PUT Project/plan.txt (overwrite)', run: put(SHARED('Project', 'plan.txt'), 'plan, edited') },
    ],
    rows: {
      //        Shared/ (names)    Shared/ann/ (names)                Project/ (names)        GET  PUT  over
      owner: [[207, []], 404, 404, 404, 409, 409],
      comember: [[207, []], 404, 404, 404, 409, 409],
      reader: [[207, [ANN]], [207, ['Project', 'memo.txt']], [207, ['plan.txt']], 200, 403, 403],
      writer: [[207, [ANN]], [207, ['Project']], [207, ['plan.txt']], 200, 201, 204],
      admin: [[207, []], 404, 404, 404, 409, 409],
      member: [[207, []], 404, 404, 404, 409, 409],
      granted: [[207, []], 404, 404, 404, 409, 409],
      removed: [[207, []], 404, 404, 404, 409, 409],
      outsider: [[207, []], 404, 404, 404, 409, 409],
    },
  },
  {
    title: 'a single shared file, Shared with me/ann@example.test/memo.txt (an item share opens that file only)',
    probes: [
      { label: 'GET memo.txt', run: get(SHARED('memo.txt')) },
      { label: 'PROPFIND memo.txt', run: propfind(SHARED('memo.txt'), '0') },
      { label: 'PUT memo.txt', run: put(SHARED('memo.txt'), 'memo, edited') },
      { label: 'DELETE memo.txt', run: del(SHARED('memo.txt')) },
      { label: 'GET private.txt beside it', run: get(SHARED('private.txt')) },
    ],
    rows: {
      //        GET  PF0  PUT  DEL  private.txt
      owner: [404, 404, 409, 404, 404],
      comember: [404, 404, 409, 404, 404],
      reader: [200, 207, 403, 403, 404],
      writer: [404, 404, 409, 404, 404],
      admin: [404, 404, 409, 404, 404],
      member: [404, 404, 409, 404, 404],
      granted: [404, 404, 409, 404, 404],
      removed: [404, 404, 409, 404, 404],
      outsider: [404, 404, 409, 404, 404],
    },
  },
];

/** What a cell answered, in the table's terms. */
function observed(probe: Probe, res: DavResponse): Want {
  if (probe.lists && res.status === 207) return [207, listing(res.text, probe.lists)];
  return res.status;
}

/** Removes what a row created (through the core, not the door), so that every row meets the same world. */
async function resetRow(w: World): Promise<void> {
  const store = w.s.core.store;
  const spaces = [...Object.values(w.people).map((a) => a.spaceId), w.groups.team.spaceId];
  for (const spaceId of spaces) {
    for (const c of await store.listCollections(spaceId, 'files')) {
      if (/^dir-/.test(c.name)) { await store.deleteCollection(c.id); continue; }
      for (const item of await store.listItems(c.id)) if (/^(new|from)-/.test(item.name ?? '')) await store.deleteItem(item.id);
    }
  }
}

async function build(s: DavServer): Promise<World> {
  const people = {} as Record<Role, Account>;
  for (const role of ROLES) people[role] = await s.account(WHO[role]);
  const { owner: ann, comember: bob, reader: rita, writer: will, admin: gina, member: mia, granted: carl, removed: rob } = people;
  const club = await s.group('Club', bob, [ann]);
  const readers = await s.group('Readers', ann, [rita, rob]);
  const writers = await s.group('Writers', ann, [will]);
  const team = await s.group('Team', gina, [ann, mia, carl, rob]);
  await s.core.groups.grant(team.id, carl.id, ['write'], gina.id);

  // the fixtures, made through the door itself
  const ok = async (p: Promise<DavResponse>, status: number): Promise<void> => { expect((await p).status).to.equal(status); };
  await ok(s.dav('MKCOL', files('Documents', 'Project'), { user: ann }), 201);
  await ok(s.dav('PUT', files('Documents', 'Project', 'plan.txt'), { user: ann, body: 'the plan' }), 201);
  await ok(s.dav('PUT', files('Documents', 'memo.txt'), { user: ann, body: 'a memo' }), 201);
  await ok(s.dav('PUT', files('Documents', 'private.txt'), { user: ann, body: 'private' }), 201);
  await ok(s.dav('MKCOL', files('Drop box', 'Sub'), { user: ann }), 201);
  await ok(s.dav('PUT', files('Drop box', 'Sub', 'inner.txt'), { user: ann, body: 'inner' }), 201);
  await ok(s.dav('PUT', BOX('welcome.txt'), { user: gina, body: 'welcome, from gina' }), 201);
  await ok(s.dav('PUT', files('Groups', 'Team', 'minutes.txt'), { user: gina, body: 'minutes' }), 201);

  const store = s.core.store;
  const docs = (await store.findCollectionByRole(ann.spaceId, 'files', 'documents'))!;
  const project = (await store.findCollection(ann.spaceId, 'files', docs.id, 'Project'))!;
  const memo = (await store.getItemByName(docs.id, 'memo.txt'))!;
  const projectRead = await s.core.sharing.share(ann.id, { collectionId: project.id }, readers.id, ['read']);
  const projectWrite = await s.core.sharing.share(ann.id, { collectionId: project.id }, writers.id, ['read', 'write', 'delete']);
  const memoRead = await s.core.sharing.share(ann.id, { collectionId: docs.id, itemId: memo.id }, readers.id, ['read']);

  // rob reads what Team and the Readers' share give, then is removed from both
  await ok(s.dav('GET', files('Groups', 'Team', 'minutes.txt'), { user: rob }), 200);
  await ok(s.dav('GET', SHARED('Project', 'plan.txt'), { user: rob }), 200);
  await ok(s.dav('PUT', BOX('from-rob-before.txt'), { user: rob, body: 'x' }), 201);
  await s.core.groups.removeMember(team.id, rob.id, gina.id);
  await s.core.groups.removeMember(readers.id, rob.id, ann.id);

  const w: World = {
    s, people, groups: { club, readers, writers, team },
    shares: { projectRead: projectRead.id, projectWrite: projectWrite.id, memoRead: memoRead.id },
  };
  await resetRow(w);
  return w;
}

for (const backend of BACKENDS) {
  describe(`WebDAV access matrix on ${backend}`, function () {
    this.timeout(60_000);
    let w: World;
    before(async function () {
      const s = await startDav(backend);
      try {
        w = await build(s);
      } catch (err) {
        await s.stop();
        throw new Error(`${(err as Error).message}; the server logged: ${s.logs.join('\n')}`);
      }
    });
    after(async () => w?.s.stop());

    for (const table of TABLES) {
      describe(table.title, () => {
        afterEach(async () => resetRow(w));
        for (const role of ROLES) {
          it(`${role} (${WHO[role]})`, async () => {
            const who = w.people[role];
            const got: Record<string, Want> = {};
            const want: Record<string, Want> = {};
            table.probes.forEach((probe, i) => { want[probe.label] = table.rows[role][i]!; });
            expect(table.rows[role]).to.have.length(table.probes.length, 'the table row has one cell per column');
            for (const probe of table.probes) got[probe.label] = observed(probe, await probe.run(w, who, role));
            expect(got).to.deep.equal(want);
          });
        }
      });
    }

    describe('what the matrix cannot show: contents, and rights ending', () => {
      it('the owner reads, byte for byte, what a co-member deposited; the depositor cannot read it back', async () => {
        const { s, people: { owner: ann, comember: bob } } = w;
        const body = 'for ann only: ünïcode and bytes \u0000\u00ff';
        expect((await s.dav('PUT', BOX('from-bob.txt'), { user: bob, body })).status).to.equal(201);
        const own = await s.dav('PROPFIND', files('Drop box', ''), { user: ann, headers: { depth: '1' } });
        expect(listing(own.text, files('Drop box', ''))).to.deep.equal(['Sub', 'from-bob.txt', 'welcome.txt']);
        const read = await s.dav('GET', files('Drop box', 'from-bob.txt'), { user: ann });
        expect(read.status).to.equal(200);
        expect(read.text).to.equal(body);
        expect((await s.dav('GET', BOX('from-bob.txt'), { user: bob })).status).to.equal(403);
        const box = await s.dav('PROPFIND', BOX(''), { user: bob, headers: { depth: '1' } });
        expect(box.text).to.not.contain('from-bob').and.not.contain('welcome').and.not.contain('Sub');
        expect((await s.dav('PUT', BOX('from-bob.txt'), { user: bob, body: 'again' })).status).to.equal(403, 'a deposit cannot be overwritten, even by its depositor');
        expect((await s.dav('GET', files('Drop box', 'from-bob.txt'), { user: ann })).text).to.equal(body);
        await resetRow(w);
      });

      it('a drop box shows a depositor none of its owner\'s properties, quota figures or locks', async () => {
        const { s, people: { owner: ann, comember: bob } } = w;
        const set = await s.dav('PROPPATCH', files('Drop box', ''), {
          user: ann,
          body: '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:note xmlns:x="urn:x">ann-private-note</x:note></D:prop></D:set></D:propertyupdate>',
        });
        expect(set.status).to.equal(207);
        const lock = await s.dav('LOCK', files('Drop box', ''), {
          user: ann, headers: { depth: '0' },
          body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>ann-lock-owner</D:owner></D:lockinfo>',
        });
        expect(lock.status).to.equal(200);
        const token = String(lock.headers['lock-token']);
        try {
          const own = await s.dav('PROPFIND', files('Drop box', ''), { user: ann, headers: { depth: '0' } });
          expect(own.text).to.contain('ann-private-note').and.contain('ann-lock-owner');
          const wanted = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/><D:lockdiscovery/><x:note xmlns:x="urn:x"/></D:prop></D:propfind>';
          const asked = await s.dav('PROPFIND', BOX(''), { user: bob, headers: { depth: '0' }, body: wanted });
          expect(asked.status).to.equal(207);
          expect(asked.text).to.not.contain('ann-private-note').and.not.contain('ann-lock-owner').and.not.contain('opaquelocktoken');
          expect(asked.text).to.match(/<D:propstat><D:prop><D:quota-used-bytes><\/D:quota-used-bytes><D:quota-available-bytes><\/D:quota-available-bytes><D:lockdiscovery><\/D:lockdiscovery><note xmlns="urn:x"><\/note><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
          for (const body of [undefined, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>']) {
            const all = await s.dav('PROPFIND', BOX(''), { user: bob, headers: { depth: '1' }, ...(body ? { body } : {}) });
            expect(all.status).to.equal(207);
            expect(all.text).to.not.contain('note').and.not.contain('quota').and.not.contain('lockdiscovery');
          }
        } finally {
          expect((await s.dav('UNLOCK', files('Drop box', ''), { user: ann, headers: { 'lock-token': token } })).status).to.equal(204);
        }
      });

      it('a withdrawn share ends on the next request on the same connection', async () => {
        const { s, people: { owner: ann, reader: rita } } = w;
        const agent = s.agent();
        expect((await s.dav('GET', SHARED('Project', 'plan.txt'), { user: rita, agent })).status).to.equal(200);
        await s.core.sharing.withdraw(ann.id, w.shares.projectRead);
        expect((await s.dav('GET', SHARED('Project', 'plan.txt'), { user: rita, agent })).status).to.equal(404);
        const left = await s.dav('PROPFIND', SHARED(''), { user: rita, agent, headers: { depth: '1' } });
        expect(listing(left.text, SHARED(''))).to.deep.equal(['memo.txt']);
        expect((await s.dav('GET', SHARED('memo.txt'), { user: rita, agent })).status).to.equal(200, 'the other share stays');
        await s.core.sharing.withdraw(ann.id, w.shares.memoRead);
        expect((await s.dav('GET', SHARED('memo.txt'), { user: rita, agent })).status).to.equal(404);
        expect((await s.dav('PROPFIND', SHARED(''), { user: rita, agent, headers: { depth: '1' } })).status).to.equal(404);
        // she is still ann's co-member through Readers: depositing stays
        expect((await s.dav('PUT', BOX('from-rita.txt'), { user: rita, agent, body: 'x' })).status).to.equal(201);
        await resetRow(w);
      });

      it('a member removed from the group loses the share, the drop box and the group at once', async () => {
        const { s, people: { owner: ann, writer: will } } = w;
        const agent = s.agent();
        expect((await s.dav('PUT', SHARED('Project', 'plan.txt'), { user: will, agent, body: 'v2' })).status).to.equal(204);
        expect((await s.dav('PROPFIND', files('Groups', 'Writers', ''), { user: will, agent, headers: { depth: '0' } })).status).to.equal(207);
        await s.core.groups.removeMember(w.groups.writers.id, will.id, ann.id);
        expect((await s.dav('GET', SHARED('Project', 'plan.txt'), { user: will, agent })).status).to.equal(404);
        expect((await s.dav('PUT', SHARED('Project', 'plan.txt'), { user: will, agent, body: 'v3' })).status).to.equal(409);
        expect((await s.dav('PUT', BOX('from-will.txt'), { user: will, agent, body: 'x' })).status).to.equal(409);
        expect((await s.dav('PROPFIND', files('Groups', 'Writers', ''), { user: will, agent, headers: { depth: '0' } })).status).to.equal(404);
        const top = await s.dav('PROPFIND', files('Drop boxes', ''), { user: will, agent, headers: { depth: '1' } });
        expect(listing(top.text, files('Drop boxes', ''))).to.deep.equal([]);
        expect((await s.dav('GET', files('Documents', 'Project', 'plan.txt'), { user: ann })).text).to.equal('v2', 'what he wrote before stays');
      });

      it('a deleted group ends every right it gave at once', async () => {
        const { s, people: { admin: gina, member: mia, granted: carl } } = w;
        const agent = s.agent();
        expect((await s.dav('GET', files('Groups', 'Team', 'minutes.txt'), { user: mia, agent })).status).to.equal(200);
        await s.core.groups.delete(w.groups.team.id, gina.id);
        expect((await s.dav('GET', files('Groups', 'Team', 'minutes.txt'), { user: mia, agent })).status).to.equal(404);
        expect((await s.dav('PUT', files('Groups', 'Team', 'x.txt'), { user: carl, body: 'x' })).status).to.equal(409);
        expect((await s.dav('PUT', BOX('from-mia.txt'), { user: mia, agent, body: 'x' })).status).to.equal(409, 'mia met ann only in Team');
        const groups = await s.dav('PROPFIND', files('Groups', ''), { user: mia, agent, headers: { depth: '1' } });
        expect(listing(groups.text, files('Groups', ''))).to.deep.equal([]);
      });
    });
  });
}
