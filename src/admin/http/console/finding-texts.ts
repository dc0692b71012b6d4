/**
 * The analyzer's findings (src/observe/analyzer*.ts) in French, German and Italian, for the
 * console. `portcullis analyze` and the JSON API keep the English: the console matches each
 * title and detail against the English templates below and rebuilds it in the chosen language.
 * Names, addresses, dates and command lines are carried over as they are; the fix (a command
 * line) is never translated. A text no template matches is shown in English.
 */
import type { Lang } from './strings.js';

type Other = Exclude<Lang, 'en'>;
/** [English, French, German, Italian]; `{name}` marks a part carried over unchanged. */
type Row = [string, string, string, string];

const TEXTS: Row[] = [
  // login-type.<protocol>
  ['{p}: SecureLogin', '{p} : SecureLogin actif', '{p}: SecureLogin aktiv', '{p}: SecureLogin attivo'],
  ['{p}: PlainTextAuthentication', '{p} : PlainTextAuthentication actif', '{p}: PlainTextAuthentication aktiv', '{p}: PlainTextAuthentication attivo'],
  ['{p}: cleartext login allowed', '{p} : connexion en clair autorisée', '{p}: Klartext-Anmeldung erlaubt', '{p}: accesso in chiaro consentito'],
  ['No credentials are accepted before TLS.', "Aucun identifiant n'est accepté avant TLS.", 'Vor TLS werden keine Anmeldedaten angenommen.', 'Nessuna credenziale viene accettata prima di TLS.'],
  [
    'Password mechanisms only over TLS; mechanisms that never expose the password are allowed in cleartext. SecureLogin is stricter.',
    "Mécanismes à mot de passe uniquement sous TLS ; les mécanismes qui n'exposent jamais le mot de passe sont autorisés en clair. SecureLogin est plus strict.",
    'Passwortverfahren nur über TLS; Verfahren, die das Passwort nie preisgeben, sind im Klartext erlaubt. SecureLogin ist strenger.',
    'Meccanismi con password solo su TLS; i meccanismi che non espongono mai la password sono consentiti in chiaro. SecureLogin è più restrittivo.',
  ],
  [
    "login-type is PlainTextLogin and {bindings} accept connections without TLS: passwords can cross the network in the clear. Check 'portcullis logs insecure-logins --protocol {p}' for clients that would break.",
    "login-type vaut PlainTextLogin et {bindings} acceptent des connexions sans TLS : les mots de passe peuvent traverser le réseau en clair. Consultez 'portcullis logs insecure-logins --protocol {p}' pour voir les clients qui cesseraient de fonctionner.",
    "login-type ist PlainTextLogin und {bindings} nehmen Verbindungen ohne TLS an: Passwörter können im Klartext über das Netz gehen. Prüfen Sie mit 'portcullis logs insecure-logins --protocol {p}', welche Clients nicht mehr funktionieren würden.",
    "login-type è PlainTextLogin e {bindings} accettano connessioni senza TLS: le password possono attraversare la rete in chiaro. Controllare con 'portcullis logs insecure-logins --protocol {p}' quali client smetterebbero di funzionare.",
  ],
  [
    "login-type is PlainTextLogin and {bindings} accept connections without TLS (loopback is not exempt). Check 'portcullis logs insecure-logins --protocol {p}' for clients that would break.",
    "login-type vaut PlainTextLogin et {bindings} acceptent des connexions sans TLS (le bouclage n'est pas exempté). Consultez 'portcullis logs insecure-logins --protocol {p}' pour voir les clients qui cesseraient de fonctionner.",
    "login-type ist PlainTextLogin und {bindings} nehmen Verbindungen ohne TLS an (Loopback ist nicht ausgenommen). Prüfen Sie mit 'portcullis logs insecure-logins --protocol {p}', welche Clients nicht mehr funktionieren würden.",
    "login-type è PlainTextLogin e {bindings} accettano connessioni senza TLS (il loopback non fa eccezione). Controllare con 'portcullis logs insecure-logins --protocol {p}' quali client smetterebbero di funzionare.",
  ],
  [
    'login-type is PlainTextLogin; no cleartext binding exists now, but adding one would expose passwords.',
    "login-type vaut PlainTextLogin ; aucune liaison en clair n'existe pour l'instant, mais en ajouter une exposerait les mots de passe.",
    'login-type ist PlainTextLogin; derzeit gibt es keine Klartext-Bindung, aber eine hinzuzufügen würde Passwörter preisgeben.',
    'login-type è PlainTextLogin; al momento non esiste alcun binding in chiaro, ma aggiungerne uno esporrebbe le password.',
  ],
  // listeners.<protocol>
  ['{p}: enabled but listens nowhere', "{p} : activé mais n'écoute nulle part", '{p}: aktiviert, lauscht aber nirgends', '{p}: attivato ma non in ascolto da nessuna parte'],
  [
    '{service} is enabled with no ssl-bindings and no unencrypted-or-tls-bindings.',
    '{service} est activé sans ssl-bindings ni unencrypted-or-tls-bindings.',
    '{service} ist aktiviert, hat aber weder ssl-bindings noch unencrypted-or-tls-bindings.',
    '{service} è attivato senza ssl-bindings né unencrypted-or-tls-bindings.',
  ],
  ['{p}: network listeners without TLS accept passwords', "{p} : des points d'écoute réseau sans TLS acceptent les mots de passe", '{p}: Netzwerk-Listener ohne TLS nehmen Passwörter an', '{p}: listener di rete senza TLS accettano password'],
  [
    '{bindings} start without TLS and the login type lets clients log in before STARTTLS.',
    "{bindings} commencent sans TLS et le type d'authentification permet aux clients de se connecter avant STARTTLS.",
    '{bindings} beginnen ohne TLS, und der Anmeldetyp lässt Clients sich vor STARTTLS anmelden.',
    '{bindings} iniziano senza TLS e il tipo di accesso consente ai client di accedere prima di STARTTLS.',
  ],
  ['{p}: cleartext ports offer STARTTLS', '{p} : les ports en clair proposent STARTTLS', '{p}: Klartext-Ports bieten STARTTLS an', '{p}: le porte in chiaro offrono STARTTLS'],
  [
    '{bindings} start without TLS; {loginType} refuses passwords until STARTTLS. Implicit TLS (ssl-bindings) is preferred (RFC 8314).',
    '{bindings} commencent sans TLS ; {loginType} refuse les mots de passe avant STARTTLS. Le TLS implicite (ssl-bindings) est préférable (RFC 8314).',
    '{bindings} beginnen ohne TLS; {loginType} lehnt Passwörter bis STARTTLS ab. Implizites TLS (ssl-bindings) ist vorzuziehen (RFC 8314).',
    '{bindings} iniziano senza TLS; {loginType} rifiuta le password fino a STARTTLS. È preferibile il TLS implicito (ssl-bindings) (RFC 8314).',
  ],
  ['{p}: no network listener without TLS', "{p} : aucun point d'écoute réseau sans TLS", '{p}: kein Netzwerk-Listener ohne TLS', '{p}: nessun listener di rete senza TLS'],
  ['TLS on {bindings}.', 'TLS sur {bindings}.', 'TLS auf {bindings}.', 'TLS su {bindings}.'],
  ['No listeners.', "Aucun point d'écoute.", 'Keine Listener.', 'Nessun listener.'],
  // connection-settings.<protocol>
  ['{p}: connection settings use TLS', '{p} : les paramètres de connexion utilisent TLS', '{p}: die Verbindungseinstellungen verwenden TLS', '{p}: le impostazioni di connessione usano TLS'],
  [
    '{p}: connection settings tell clients to connect without encryption',
    '{p} : les paramètres de connexion indiquent aux clients de se connecter sans chiffrement',
    '{p}: die Verbindungseinstellungen weisen Clients an, sich ohne Verschlüsselung zu verbinden',
    '{p}: le impostazioni di connessione indicano ai client di connettersi senza cifratura',
  ],
  [
    '{entries}: no SSL or TLS. With login-type PlainTextLogin such clients send their passwords in the clear.',
    '{entries} : ni SSL ni TLS. Avec login-type PlainTextLogin, ces clients envoient leur mot de passe en clair.',
    '{entries}: weder SSL noch TLS. Mit login-type PlainTextLogin senden solche Clients ihre Passwörter im Klartext.',
    '{entries}: né SSL né TLS. Con login-type PlainTextLogin questi client inviano le password in chiaro.',
  ],
  [
    '{entries}: no SSL or TLS. With login-type {loginType} such clients cannot log in with a password until they use STARTTLS.',
    "{entries} : ni SSL ni TLS. Avec login-type {loginType}, ces clients ne peuvent pas se connecter avec un mot de passe avant d'utiliser STARTTLS.",
    '{entries}: weder SSL noch TLS. Mit login-type {loginType} können sich solche Clients erst nach STARTTLS mit einem Passwort anmelden.',
    '{entries}: né SSL né TLS. Con login-type {loginType} questi client non possono accedere con una password finché non usano STARTTLS.',
  ],
  // services.<protocol>, services.none
  ['{frontend} and {backend}: enabled', '{frontend} et {backend} : activés', '{frontend} und {backend}: aktiviert', '{frontend} e {backend}: attivati'],
  ['{frontend} and {backend}: disabled', '{frontend} et {backend} : désactivés', '{frontend} und {backend}: deaktiviert', '{frontend} e {backend}: disattivati'],
  ['{frontend}: enabled', '{frontend} : activé', '{frontend}: aktiviert', '{frontend}: attivato'],
  ['{frontend}: disabled', '{frontend} : désactivé', '{frontend}: deaktiviert', '{frontend}: disattivato'],
  ['{frontend} is degraded: {backend} is disabled', '{frontend} est dégradé : {backend} est désactivé', '{frontend} ist eingeschränkt: {backend} ist deaktiviert', '{frontend} è degradato: {backend} è disattivato'],
  [
    'Clients can connect but every correct login is refused as temporarily unavailable.',
    'Les clients peuvent se connecter, mais toute authentification correcte est refusée comme temporairement indisponible.',
    'Clients können sich verbinden, aber jede korrekte Anmeldung wird als vorübergehend nicht verfügbar abgewiesen.',
    'I client possono connettersi, ma ogni accesso corretto viene rifiutato come temporaneamente non disponibile.',
  ],
  ['{backend} runs without {frontend}', '{backend} fonctionne sans {frontend}', '{backend} läuft ohne {frontend}', '{backend} è in esecuzione senza {frontend}'],
  [
    'A backend-only node: fine when frontends elsewhere proxy to it.',
    "Un nœud uniquement backend : c'est correct si des frontends situés ailleurs lui relaient les sessions.",
    'Ein reiner Backend-Knoten: in Ordnung, wenn Frontends anderswo an ihn weiterleiten.',
    'Un nodo solo backend: va bene se frontend altrove gli inoltrano le sessioni.',
  ],
  ['No client-access service is enabled', "Aucun service d'accès client n'est activé", 'Kein Dienst für den Client-Zugriff ist aktiviert', 'Nessun servizio di accesso client è attivato'],
  ['Every service is off (the state after init).', "Tous les services sont arrêtés (l'état après init).", 'Alle Dienste sind aus (der Zustand nach init).', 'Tutti i servizi sono spenti (lo stato dopo init).'],
  // certificate.name.<protocol>
  ['{p}: {setting} "{wanted}" matches no certificate', '{p} : {setting} « {wanted} » ne correspond à aucun certificat', '{p}: {setting} „{wanted}“ passt zu keinem Zertifikat', '{p}: {setting} "{wanted}" non corrisponde ad alcun certificato'],
  ['{p}: no certificate to present', '{p} : aucun certificat à présenter', '{p}: kein Zertifikat zum Vorlegen', '{p}: nessun certificato da presentare'],
  [
    "TLS connections to {p} fail. Import a certificate for {host}, or set {setting} to a name a stored certificate carries (see 'portcullis cert list').",
    "Les connexions TLS à {p} échouent. Importez un certificat pour {host}, ou donnez à {setting} un nom que porte un certificat enregistré (voir 'portcullis cert list').",
    "TLS-Verbindungen zu {p} schlagen fehl. Importieren Sie ein Zertifikat für {host} oder setzen Sie {setting} auf einen Namen, den ein gespeichertes Zertifikat trägt (siehe 'portcullis cert list').",
    "Le connessioni TLS a {p} falliscono. Importare un certificato per {host}, o impostare {setting} su un nome presente in un certificato memorizzato (vedere 'portcullis cert list').",
  ],
  [
    '{p}: certificate "{cert}" does not name {hosts} from the connection settings',
    '{p} : le certificat « {cert} » ne couvre pas {hosts}, cité dans les paramètres de connexion',
    '{p}: das Zertifikat „{cert}“ nennt {hosts} aus den Verbindungseinstellungen nicht',
    '{p}: il certificato "{cert}" non include {hosts} delle impostazioni di connessione',
  ],
  [
    'Clients are told to connect to {told}; the certificate names {sans}, so clients that verify the host name refuse it.',
    "Les clients doivent se connecter à {told} ; le certificat couvre {sans}, donc les clients qui vérifient le nom d'hôte le refusent.",
    'Clients sollen sich mit {told} verbinden; das Zertifikat nennt {sans}, daher lehnen Clients, die den Hostnamen prüfen, es ab.',
    'Ai client viene indicato di connettersi a {told}; il certificato include {sans}, quindi i client che verificano il nome host lo rifiutano.',
  ],
  ['{p}: presents certificate "{cert}"', '{p} : présente le certificat « {cert} »', '{p}: legt das Zertifikat „{cert}“ vor', '{p}: presenta il certificato "{cert}"'],
  ['It names every host of the connection settings ({told}).', 'Il couvre tous les hôtes des paramètres de connexion ({told}).', 'Es nennt jeden Host der Verbindungseinstellungen ({told}).', 'Include ogni host delle impostazioni di connessione ({told}).'],
  ['{p}: certificate "{cert}" does not name the fqdn {fqdn}', '{p} : le certificat « {cert} » ne couvre pas le fqdn {fqdn}', '{p}: das Zertifikat „{cert}“ nennt den fqdn {fqdn} nicht', '{p}: il certificato "{cert}" non include il fqdn {fqdn}'],
  [
    'The service greets and answers EHLO as {fqdn}, but the certificate names {sans}; clients that verify the host name refuse it.',
    "Le service s'annonce et répond à EHLO sous le nom {fqdn}, mais le certificat couvre {sans} ; les clients qui vérifient le nom d'hôte le refusent.",
    'Der Dienst grüßt und beantwortet EHLO als {fqdn}, aber das Zertifikat nennt {sans}; Clients, die den Hostnamen prüfen, lehnen es ab.',
    'Il servizio saluta e risponde a EHLO come {fqdn}, ma il certificato include {sans}; i client che verificano il nome host lo rifiutano.',
  ],
  ['{p}: certificate "{cert}" does not name {host}', '{p} : le certificat « {cert} » ne couvre pas {host}', '{p}: das Zertifikat „{cert}“ nennt {host} nicht', '{p}: il certificato "{cert}" non include {host}'],
  ['It names {sans}; clients that verify the host name refuse it.', "Il couvre {sans} ; les clients qui vérifient le nom d'hôte le refusent.", 'Es nennt {sans}; Clients, die den Hostnamen prüfen, lehnen es ab.', 'Include {sans}; i client che verificano il nome host lo rifiutano.'],
  ['For {host}.', 'Pour {host}.', 'Für {host}.', 'Per {host}.'],
  // certificate.<check>.<name>, certificate.unreadable.<file>, certificate.present
  ['Certificate "{cert}" expired and is not in use', "Le certificat « {cert} » a expiré et n'est pas utilisé", 'Das Zertifikat „{cert}“ ist abgelaufen und wird nicht verwendet', 'Il certificato "{cert}" è scaduto e non è in uso'],
  ['Expired {date}.', 'Expiré le {date}.', 'Abgelaufen am {date}.', 'Scaduto il {date}.'],
  ['Certificate "{cert}" is self-signed (used by {users})', 'Le certificat « {cert} » est auto-signé (utilisé par {users})', 'Das Zertifikat „{cert}“ ist selbstsigniert (verwendet von {users})', 'Il certificato "{cert}" è autofirmato (usato da {users})'],
  [
    'Clients cannot verify it and users learn to click through warnings. Fine for testing only.',
    "Les clients ne peuvent pas le vérifier et les utilisateurs s'habituent à ignorer les avertissements. Acceptable pour des tests uniquement.",
    'Clients können es nicht prüfen, und Benutzer gewöhnen sich daran, Warnungen wegzuklicken. Nur für Tests geeignet.',
    'I client non possono verificarlo e gli utenti si abituano a ignorare gli avvisi. Va bene solo per i test.',
  ],
  ['Certificate "{cert}" is issued by a CA (used by {users})', 'Le certificat « {cert} » est émis par une AC (utilisé par {users})', 'Das Zertifikat „{cert}“ ist von einer CA ausgestellt (verwendet von {users})', 'Il certificato "{cert}" è emesso da una CA (usato da {users})'],
  ['Certificate "{cert}" has expired (used by {users})', 'Le certificat « {cert} » a expiré (utilisé par {users})', 'Das Zertifikat „{cert}“ ist abgelaufen (verwendet von {users})', 'Il certificato "{cert}" è scaduto (usato da {users})'],
  ['Certificate "{cert}" expires in {days} days (used by {users})', 'Le certificat « {cert} » expire dans {days} jours (utilisé par {users})', 'Das Zertifikat „{cert}“ läuft in {days} Tagen ab (verwendet von {users})', 'Il certificato "{cert}" scade tra {days} giorni (usato da {users})'],
  ['Expires {date}.', 'Expire le {date}.', 'Läuft am {date} ab.', 'Scade il {date}.'],
  ['Certificate "{cert}" valid for {days} more days', 'Le certificat « {cert} » est encore valide {days} jours', 'Das Zertifikat „{cert}“ ist noch {days} Tage gültig', 'Il certificato "{cert}" è valido ancora per {days} giorni'],
  ['Until {date}.', "Jusqu'au {date}.", 'Bis {date}.', 'Fino al {date}.'],
  ['Certificate "{cert}" has a weak key: {keyType} {bits} bits', 'Le certificat « {cert} » a une clé faible : {keyType} {bits} bits', 'Das Zertifikat „{cert}“ hat einen schwachen Schlüssel: {keyType} {bits} Bit', 'Il certificato "{cert}" ha una chiave debole: {keyType} {bits} bit'],
  ['RSA keys need at least 2048 bits, EC keys at least 256.', 'Les clés RSA doivent avoir au moins 2048 bits, les clés EC au moins 256.', 'RSA-Schlüssel brauchen mindestens 2048 Bit, EC-Schlüssel mindestens 256.', 'Le chiavi RSA richiedono almeno 2048 bit, le chiavi EC almeno 256.'],
  ['Certificate "{cert}" key: {keyType} {bits} bits', 'Clé du certificat « {cert} » : {keyType} {bits} bits', 'Schlüssel des Zertifikats „{cert}“: {keyType} {bits} Bit', 'Chiave del certificato "{cert}": {keyType} {bits} bit'],
  ['Certificate "{cert}" key: {keyType}', 'Clé du certificat « {cert} » : {keyType}', 'Schlüssel des Zertifikats „{cert}“: {keyType}', 'Chiave del certificato "{cert}": {keyType}'],
  ['Certificate "{cert}" is signed with {hash}', 'Le certificat « {cert} » est signé avec {hash}', 'Das Zertifikat „{cert}“ ist mit {hash} signiert', 'Il certificato "{cert}" è firmato con {hash}'],
  ['SHA-1 and MD5 signatures are forgeable; clients reject them.', 'Les signatures SHA-1 et MD5 sont falsifiables ; les clients les rejettent.', 'SHA-1- und MD5-Signaturen sind fälschbar; Clients lehnen sie ab.', 'Le firme SHA-1 e MD5 sono falsificabili; i client le rifiutano.'],
  ['Certificate "{cert}": signature algorithm unknown', 'Certificat « {cert} » : algorithme de signature inconnu', 'Zertifikat „{cert}“: Signaturalgorithmus unbekannt', 'Certificato "{cert}": algoritmo di firma sconosciuto'],
  ['Certificate "{cert}" signed with {hash}', 'Certificat « {cert} » signé avec {hash}', 'Zertifikat „{cert}“ mit {hash} signiert', 'Certificato "{cert}" firmato con {hash}'],
  ['Certificate file {file} cannot be read', 'Le fichier de certificat {file} est illisible', 'Die Zertifikatsdatei {file} kann nicht gelesen werden', 'Il file di certificato {file} non può essere letto'],
  ['It is ignored when choosing certificates.', 'Il est ignoré lors du choix des certificats.', 'Sie wird bei der Auswahl der Zertifikate ignoriert.', 'Viene ignorato nella scelta dei certificati.'],
  ['No certificate', 'Aucun certificat', 'Kein Zertifikat', 'Nessun certificato'],
  ['TLS and STARTTLS cannot work.', 'TLS et STARTTLS ne peuvent pas fonctionner.', 'TLS und STARTTLS können nicht funktionieren.', 'TLS e STARTTLS non possono funzionare.'],
  // tls.versions, tls.ciphers
  ['TLS versions below 1.2 allowed ({version})', 'Versions de TLS inférieures à 1.2 autorisées ({version})', 'TLS-Versionen unter 1.2 erlaubt ({version})', 'Versioni di TLS inferiori alla 1.2 consentite ({version})'],
  ['TLS 1.0 and 1.1 are deprecated (RFC 8996).', 'TLS 1.0 et 1.1 sont obsolètes (RFC 8996).', 'TLS 1.0 und 1.1 sind veraltet (RFC 8996).', 'TLS 1.0 e 1.1 sono deprecati (RFC 8996).'],
  ['TLS {version} and later only', 'Uniquement TLS {version} et versions ultérieures', 'Nur TLS {version} und neuer', 'Solo TLS {version} e versioni successive'],
  ['Weak cipher suites enabled', 'Suites de chiffrement faibles activées', 'Schwache Cipher-Suites aktiviert', 'Suite di cifratura deboli attivate'],
  ['Not forward-secret AEAD: {suites}.', 'Pas AEAD avec confidentialité persistante : {suites}.', 'Kein AEAD mit Forward Secrecy: {suites}.', 'Non AEAD con forward secrecy: {suites}.'],
  ['Only forward-secret AEAD cipher suites', 'Uniquement des suites AEAD avec confidentialité persistante', 'Nur AEAD-Cipher-Suites mit Forward Secrecy', 'Solo suite di cifratura AEAD con forward secrecy'],
  ['{count} suites.', '{count} suites de chiffrement.', '{count} Cipher-Suites.', '{count} suite di cifratura.'],
  // protocol-log.<protocol>
  ['{p}: protocol logging off', '{p} : journal de protocole désactivé', '{p}: Protokoll-Log aus', '{p}: log di protocollo disattivato'],
  ['Logins are still recorded in the security log.', 'Les connexions restent enregistrées dans le journal de sécurité.', 'Anmeldungen werden weiterhin im Sicherheitslog erfasst.', 'Gli accessi sono comunque registrati nel log di sicurezza.'],
  ['{p}: protocol logging without a size limit', '{p} : journal de protocole sans limite de taille', '{p}: Protokoll-Log ohne Größengrenze', '{p}: log di protocollo senza limite di dimensione'],
  ['Logs grow until the disk is full.', "Les journaux grossissent jusqu'à remplir le disque.", 'Die Logs wachsen, bis die Platte voll ist.', 'I log crescono fino a riempire il disco.'],
  [
    'Logs grow until the disk is full (only files older than {days} days are deleted).',
    "Les journaux grossissent jusqu'à remplir le disque (seuls les fichiers de plus de {days} jours sont supprimés).",
    'Die Logs wachsen, bis die Platte voll ist (nur Dateien, die älter als {days} Tage sind, werden gelöscht).',
    'I log crescono fino a riempire il disco (vengono eliminati solo i file più vecchi di {days} giorni).',
  ],
  ['{p}: protocol logs kept without an age limit', "{p} : journaux de protocole conservés sans limite d'âge", '{p}: Protokoll-Logs ohne Altersgrenze aufbewahrt', '{p}: log di protocollo conservati senza limite di età'],
  ['At most {bytes} bytes.', 'Au plus {bytes} octets.', 'Höchstens {bytes} Bytes.', 'Al massimo {bytes} byte.'],
  ['{p}: protocol logging on, with limits', '{p} : journal de protocole activé, avec limites', '{p}: Protokoll-Log an, mit Grenzen', '{p}: log di protocollo attivo, con limiti'],
  ['{days} days, {bytes} bytes at most.', '{days} jours, {bytes} octets au plus.', '{days} Tage, höchstens {bytes} Bytes.', '{days} giorni, al massimo {bytes} byte.'],
  // auth.throttling, listeners.lmtp, net.trusted-proxies, listeners.admin
  ['Brute-force protection is off: the allow-list covers every address', "La protection contre la force brute est désactivée : la liste d'autorisation couvre toutes les adresses", 'Der Schutz vor Brute-Force-Angriffen ist aus: die Ausnahmeliste umfasst jede Adresse', "La protezione dagli attacchi di forza bruta è disattivata: l'elenco delle eccezioni copre ogni indirizzo"],
  [
    'allow-list holds {networks}: failed logins from anywhere are never delayed or blocked, so passwords can be guessed at full speed.',
    "allow-list contient {networks} : les connexions échouées, d'où qu'elles viennent, ne sont jamais retardées ni bloquées, et les mots de passe peuvent être devinés à pleine vitesse.",
    'allow-list enthält {networks}: fehlgeschlagene Anmeldungen von überall werden nie verzögert oder gesperrt, Passwörter können also mit voller Geschwindigkeit erraten werden.',
    'allow-list contiene {networks}: gli accessi non riusciti da qualsiasi luogo non vengono mai ritardati né bloccati, quindi le password possono essere indovinate alla massima velocità.',
  ],
  ['Brute-force protection is nearly off', 'La protection contre la force brute est presque désactivée', 'Der Schutz vor Brute-Force-Angriffen ist nahezu aus', 'La protezione dagli attacchi di forza bruta è quasi disattivata'],
  [
    'max-delay-ms is 0 and a network is blocked only after {n} failures.',
    "max-delay-ms vaut 0 et un réseau n'est bloqué qu'après {n} échecs.",
    'max-delay-ms ist 0, und ein Netz wird erst nach {n} Fehlversuchen gesperrt.',
    'max-delay-ms è 0 e una rete viene bloccata solo dopo {n} tentativi falliti.',
  ],
  [
    'Failed logins are delayed (up to {ms} ms) and a network is blocked after {n}; never for {networks}.',
    "Les connexions échouées sont retardées (jusqu'à {ms} ms) et un réseau est bloqué après {n} ; jamais pour {networks}.",
    'Fehlgeschlagene Anmeldungen werden verzögert (bis zu {ms} ms), und ein Netz wird nach {n} gesperrt; nie für {networks}.',
    'Gli accessi non riusciti vengono ritardati (fino a {ms} ms) e una rete viene bloccata dopo {n}; mai per {networks}.',
  ],
  [
    'Failed logins are delayed (up to {ms} ms) and a network is blocked after {n}.',
    "Les connexions échouées sont retardées (jusqu'à {ms} ms) et un réseau est bloqué après {n}.",
    'Fehlgeschlagene Anmeldungen werden verzögert (bis zu {ms} ms), und ein Netz wird nach {n} gesperrt.',
    'Gli accessi non riusciti vengono ritardati (fino a {ms} ms) e una rete viene bloccata dopo {n}.',
  ],
  ['Brute-force protection on', 'Protection contre la force brute active', 'Schutz vor Brute-Force-Angriffen aktiv', 'Protezione dagli attacchi di forza bruta attiva'],
  ['LMTP listens on a network address', 'LMTP écoute sur une adresse réseau', 'LMTP lauscht auf einer Netzwerkadresse', 'LMTP è in ascolto su un indirizzo di rete'],
  [
    'LMTP has no authentication: anyone reaching {hosts} can deliver mail.',
    "LMTP n'a aucune authentification : quiconque atteint {hosts} peut distribuer du courrier.",
    'LMTP hat keine Authentifizierung: Jeder, der {hosts} erreicht, kann E-Mails zustellen.',
    'LMTP non ha autenticazione: chiunque raggiunga {hosts} può recapitare posta.',
  ],
  ['LMTP on loopback or a unix socket only', 'LMTP uniquement en bouclage ou sur un socket unix', 'LMTP nur auf Loopback oder einem Unix-Socket', 'LMTP solo su loopback o su un socket unix'],
  ['Any address may claim to be a load balancer', "N'importe quelle adresse peut se faire passer pour un répartiteur de charge", 'Jede Adresse kann sich als Load Balancer ausgeben', 'Qualsiasi indirizzo può spacciarsi per un bilanciatore di carico'],
  [
    'trusted-proxies holds {networks}: every client can send a PROXY header and pose as any address, defeating per-address limits, throttling and the logs.',
    "trusted-proxies contient {networks} : tout client peut envoyer un en-tête PROXY et se faire passer pour n'importe quelle adresse, ce qui neutralise les limites par adresse, le ralentissement et les journaux.",
    'trusted-proxies enthält {networks}: Jeder Client kann einen PROXY-Header senden und sich als beliebige Adresse ausgeben, was Limits pro Adresse, Drosselung und Logs aushebelt.',
    "trusted-proxies contiene {networks}: qualsiasi client può inviare un'intestazione PROXY e spacciarsi per qualsiasi indirizzo, vanificando i limiti per indirizzo, il rallentamento e i log.",
  ],
  ['PROXY protocol trusted from listed load balancers only', 'Protocole PROXY accepté uniquement des répartiteurs de charge listés', 'PROXY-Protokoll nur von den aufgeführten Load Balancern akzeptiert', 'Protocollo PROXY accettato solo dai bilanciatori di carico elencati'],
  ['Admin API reachable off loopback', "API d'administration joignable hors bouclage", 'Verwaltungs-API außerhalb von Loopback erreichbar', 'API di amministrazione raggiungibile fuori dal loopback'],
  [
    '{bindings}: anyone who reaches it can try the admin token; put it behind loopback (and an SSH tunnel or reverse proxy).',
    "{bindings} : quiconque l'atteint peut essayer le jeton d'administration ; placez-la derrière le bouclage (et un tunnel SSH ou un proxy inverse).",
    '{bindings}: Jeder, der sie erreicht, kann das Admin-Token durchprobieren; legen Sie sie hinter Loopback (und einen SSH-Tunnel oder Reverse Proxy).',
    "{bindings}: chiunque la raggiunga può tentare il token di amministrazione; mettetela dietro il loopback (e un tunnel SSH o un reverse proxy).",
  ],
  ['Admin API on loopback only', "API d'administration uniquement en bouclage", 'Verwaltungs-API nur auf Loopback', 'API di amministrazione solo su loopback'],
  // data-dir.permissions, disk.free
  ['Data directory readable by other users', 'Répertoire de données lisible par les autres utilisateurs', 'Datenverzeichnis für andere Benutzer lesbar', 'Directory dei dati leggibile da altri utenti'],
  [
    '{paths}. It holds private keys, password hashes and mail.',
    '{paths}. Il contient des clés privées, des empreintes de mots de passe et du courrier.',
    '{paths}. Es enthält private Schlüssel, Passwort-Hashes und E-Mails.',
    '{paths}. Contiene chiavi private, hash delle password e posta.',
  ],
  ['Data directory private to its owner', 'Répertoire de données réservé à son propriétaire', 'Datenverzeichnis nur für seinen Eigentümer zugänglich', 'Directory dei dati riservata al proprietario'],
  ['Free disk space unknown', 'Espace disque libre inconnu', 'Freier Speicherplatz unbekannt', 'Spazio libero su disco sconosciuto'],
  ['Almost no free disk space', "Presque plus d'espace disque libre", 'Kaum noch freier Speicherplatz', 'Quasi nessuno spazio libero su disco'],
  ['{mib} MiB free: deliveries and APPENDs will fail.', '{mib} MiB libres : les distributions et les APPEND vont échouer.', '{mib} MiB frei: Zustellungen und APPENDs werden fehlschlagen.', '{mib} MiB liberi: recapiti e APPEND falliranno.'],
  ['Low free disk space', "Peu d'espace disque libre", 'Wenig freier Speicherplatz', 'Poco spazio libero su disco'],
  ['{mib} MiB free (less than 1 GiB).', '{mib} MiB libres (moins de 1 GiB).', '{mib} MiB frei (weniger als 1 GiB).', '{mib} MiB liberi (meno di 1 GiB).'],
  ['Enough free disk space', 'Espace disque libre suffisant', 'Genug freier Speicherplatz', 'Spazio libero su disco sufficiente'],
  ['{gib} GiB free.', '{gib} GiB libres.', '{gib} GiB frei.', '{gib} GiB liberi.'],
];

/** Parts rewritten on the way (English words inside a carried-over part). */
const PART_REWRITE: Record<string, (value: string) => string> = {
  // "/srv/data is 755; /srv/data/x is 644" -> "/srv/data: 755; /srv/data/x: 644"
  paths: (v) => v.replace(/ is ([0-7]{3})(?=;|$)/g, ': $1'),
};

interface Compiled { re: RegExp; out: Record<Other, string> }

function compile(row: Row): Compiled {
  const source = row[0].split(/(\{\w+\})/).map((piece) => {
    const hole = /^\{(\w+)\}$/.exec(piece);
    return hole ? `(?<${hole[1]}>.+?)` : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return { re: new RegExp(`^${source}$`, 's'), out: { fr: row[1], de: row[2], it: row[3] } };
}

/** Most specific first: a template with more fixed text wins over a shorter one it overlaps. */
const COMPILED: Compiled[] = [...TEXTS]
  .sort((a, b) => b[0].replace(/\{\w+\}/g, '').length - a[0].replace(/\{\w+\}/g, '').length)
  .map(compile);

/** The English templates with their translations (for the completeness test). */
export const FINDING_TEXTS: readonly Row[] = TEXTS;

/** A finding's title or detail in `lang`; null when no template matches (shown in English then). */
export function findingTextOrNull(lang: Lang, text: string): string | null {
  if (lang === 'en') return text;
  for (const c of COMPILED) {
    const m = c.re.exec(text);
    if (!m) continue;
    const parts = m.groups ?? {};
    return c.out[lang].replace(/\{(\w+)\}/g, (hole, name: string) => {
      const value = parts[name];
      if (value === undefined) return hole;
      return PART_REWRITE[name] ? PART_REWRITE[name](value) : value;
    });
  }
  return null;
}

/** A finding's title or detail in `lang`, in English when no template matches. */
export function findingText(lang: Lang, text: string): string {
  return findingTextOrNull(lang, text) ?? text;
}
