// The core's error messages in French. src/core writes its refusals in
// English (the command line, the logs and the protocols show them as they
// are); the web site shows the ones its forms can meet in the reader's
// language through this table of patterns over the English text. Each
// pattern matches a whole message; its groups are put into the French by $1,
// $2… (as written, e.g. a group's or an address's name). A message no
// pattern matches shows in English; test/web/i18n.test.ts holds one message
// of each kind and checks that every pattern is reached.
import type { Lang } from '../i18n.ts';

/** Names of fields and rights as the core writes them, and their French. */
const FIELD: Readonly<Record<string, string>> = {
  name: 'le nom', firstName: 'le prénom', lastName: 'le nom', organisation: 'l’organisation',
};
const RIGHT: Readonly<Record<string, string>> = {
  read: 'lecture', write: 'écriture', delete: 'suppression', admin: 'administration', share: 'partage',
  freebusy: 'disponibilités', deposit: 'dépôt',
};
const right = (r: string): string => RIGHT[r] ?? r;

type Rule = readonly [RegExp, string | ((...groups: string[]) => string)];

export const CORE_FR: readonly Rule[] = [
  // accounts, addresses, profile, photo
  [/^(".*") is not an e-mail address such as ann@example\.org$/s, '$1 n’est pas une adresse électronique (par exemple ann@example.org)'],
  [/^the (name|firstName|lastName|organisation) is longer than (\d+) characters$/, (f, n) => `${FIELD[f]!} dépasse ${n} caractères`],
  [/^the (name|firstName|lastName|organisation) cannot contain control characters$/, (f) => `${FIELD[f]!} ne peut pas contenir de caractères de contrôle (tabulation, saut de ligne…)`],
  [/^the domain (\S+) is not hosted here; add it first \(bureau domain add \S+\)$/, 'le domaine $1 n’est pas hébergé ici'],
  [/^the address (\S+) is taken$/, 'l’adresse $1 est déjà prise'],
  [/^the address (\S+) is not available$/, 'l’adresse $1 n’est pas disponible'],
  [/^there is no account (\S+)$/, 'il n’y a pas de compte $1'],
  [/^the current password is wrong$/, 'le mot de passe actuel est faux'],
  [/^the idle timeout must be a whole number of minutes from 1 to 1440$/, 'le délai d’inactivité doit être un nombre entier de minutes, de 1 à 1440'],
  [/^(\S+) administers the group (.+), which has other members; transfer it first \(bureau group transfer ".*" ADDRESS\)$/s,
    '$1 administre le groupe $2, qui a d’autres membres ; transférez-en d’abord l’administration à un autre membre'],
  [/^choose a picture file to upload$/, 'choisissez un fichier image à envoyer'],
  [/^the picture is larger than (\d+) KiB; make it smaller$/, 'l’image dépasse $1 Kio ; réduisez-la'],
  [/^the picture must be a JPEG or PNG file$/, 'l’image doit être un fichier JPEG ou PNG'],
  // passwords
  [/^the password is too short: at least (\d+) characters are needed$/, 'le mot de passe est trop court : il faut au moins $1 caractères'],
  [/^the password is too long: at most (\d+) characters are allowed$/, 'le mot de passe est trop long : $1 caractères au plus sont permis'],
  [/^the password cannot be only spaces$/, 'le mot de passe ne peut pas être fait que d’espaces'],
  [/^the password cannot contain a NUL character$/, 'le mot de passe ne peut pas contenir de caractère NUL'],
  // sign-up and password reset
  [/^too many sign-ups from your network in the last hour; try again later$/, 'trop d’inscriptions depuis votre réseau dans la dernière heure ; réessayez plus tard'],
  [/^too many password reset requests from your network in the last hour; try again later$/, 'trop de demandes de réinitialisation depuis votre réseau dans la dernière heure ; réessayez plus tard'],
  [/^the contact address must be one you already read, not the new one$/, 'l’adresse de contact doit être une adresse que vous lisez déjà, pas la nouvelle'],
  [/^the contact address must be outside this server, at a mailbox you already read$/, 'l’adresse de contact doit être hors de ce serveur, dans une boîte que vous lisez déjà'],
  [/^no sign-up waits for activation with this address and password$/, 'aucune inscription n’attend d’activation avec cette adresse et ce mot de passe'],
  // groups
  [/^a group name has 1 to 64 characters$/, 'un nom de groupe a de 1 à 64 caractères'],
  [/^a group name cannot contain \/ or \\ or control characters, nor be \. or \.\.$/, 'un nom de groupe ne peut contenir ni / ni \\ ni caractère de contrôle, ni être . ou ..'],
  [/^(".*") cannot be granted to members; use read, write, delete \(comma-separated\)$/s, '$1 ne peut pas être accordé aux membres ; utilisez read, write, delete (séparés par des virgules)'],
  [/^(\w+) cannot be granted to members$/, (r) => `le droit ${right(r)} ne peut pas être accordé aux membres`],
  [/^a group named (.+) already exists$/s, 'un groupe nommé $1 existe déjà'],
  [/^the plan allows administering (\d+) group\(s\), and that many are administered already$/, 'la formule permet d’administrer $1 groupe(s), et ce nombre est déjà atteint'],
  [/^the account is already a member of (.+)$/s, 'le compte est déjà membre de $1'],
  [/^the group (.+) has (\d+) members, the most its administrator's plan allows$/s, 'le groupe $1 a $2 membres, le maximum que permet la formule de son administrateur'],
  [/^the administrator of (.+) cannot leave it without first naming a successor$/s, 'l’administrateur de $1 ne peut pas le quitter sans avoir d’abord nommé un successeur'],
  [/^the new administrator must first be a member of (.+)$/s, 'le nouvel administrateur doit d’abord être membre de $1'],
  [/^the account is not a member of the group$/, 'le compte n’est pas membre du groupe'],
  [/^there is no group named (.+)$/s, 'il n’y a pas de groupe nommé $1'],
  [/^group (\d+) does not exist$/, 'le groupe $1 n’existe pas'],
  // sharing
  [/^a share needs at least one right; withdraw it instead$/, 'un partage a besoin d’au moins un droit ; retirez-le plutôt'],
  [/^(\w+) cannot be shared; allowed: (.+)$/, (r, allowed) => `le droit ${right(r)} ne peut pas être partagé ; permis : ${allowed}`],
  [/^one can only share with a group one is a member of$/, 'on ne peut partager qu’avec un groupe dont on est membre'],
  [/^share (\d+) does not exist$/, 'le partage $1 n’existe pas'],
  [/^collection (\d+) does not exist$/, 'la collection $1 n’existe pas'],
  [/^item (\d+) is not in collection (\d+)$/, 'l’élément $1 n’est pas dans la collection $2'],
  [/^there is no calendar, address book or folder (\d+) of yours to share from$/, 'vous n’avez pas d’agenda, de carnet d’adresses ni de dossier $1 à partager'],
  [/^single messages are not shared one by one; share the whole mailbox$/, 'les messages ne se partagent pas un par un ; partagez toute la boîte aux lettres'],
  // the permission module's reasons
  [/^the account is not active$/, 'le compte n’est pas actif'],
  [/^only the group administrator may do this$/, 'seul l’administrateur du groupe peut faire cela'],
  [/^members of this group have no (\w+) right on its space$/, (r) => `les membres de ce groupe n’ont pas le droit ${right(r)} sur son espace`],
  [/^the space belongs to someone else$/, 'l’espace appartient à quelqu’un d’autre'],
  [/^the group administrator has not granted (\w+) to this member$/, (r) => `l’administrateur du groupe n’a pas accordé le droit ${right(r)} à ce membre`],
  [/^the share does not include (\w+)$/, (r) => `le partage n’inclut pas le droit ${right(r)}`],
  [/^it is not shared with any group of the account$/, 'ce n’est partagé avec aucun groupe du compte'],
  // where a share is found (core/share-listings.ts)
  [/^only busy times, seen when scheduling$/, 'seulement les plages occupées, visibles en planifiant'],
  [/^not listed: files can only be dropped in$/, 'non listé : on ne peut qu’y déposer des fichiers'],
  [/^not among the account's mailboxes$/, 'pas parmi les boîtes aux lettres du compte'],
  [/^not on the drive$/, 'pas sur le disque'],
];

/** A message of the core in the reader's language; as written when no pattern knows it. */
export function coreMessage(lang: Lang, english: string): string {
  if (lang === 'en') return english;
  for (const [pattern, french] of CORE_FR) {
    const m = pattern.exec(english);
    if (!m) continue;
    const groups = m.slice(1).map((g) => g ?? '');
    return typeof french === 'function' ? french(...groups) : french.replace(/\$(\d)/g, (_, i: string) => groups[Number(i) - 1] ?? '');
  }
  return english;
}
