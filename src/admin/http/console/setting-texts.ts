/**
 * French, German and Italian texts of the settings pages: each setting's description, keyed by
 * section and setting name (English is the schema's own description), and the words of the
 * "allowed" text (the schema's hints and units). A setting without a translation is shown in
 * English; setting-texts.test.ts lists every missing key so none goes unnoticed.
 */
import { SETTINGS_SECTIONS, allowedText, type SettingDef } from '../../../config/schema.js';
import { t, type Lang } from './strings.js';

export type Translated = Record<Exclude<Lang, 'en'>, string>;
type Texts = Record<string, Translated>;

const SAME = {
  connectionsFromOneIp: {
    fr: 'Nombre maximal de connexions simultanées depuis une même adresse client.',
    de: 'Höchstzahl gleichzeitiger Verbindungen von einer Client-Adresse.',
    it: 'Numero massimo di connessioni simultanee da uno stesso indirizzo client.',
  },
  idleTimeout: {
    fr: "Durée d'inactivité après laquelle une connexion est fermée.",
    de: 'Leerlaufzeit, nach der eine Verbindung geschlossen wird.',
    it: 'Tempo di inattività dopo il quale una connessione viene chiusa.',
  },
  rollOver: {
    fr: 'Quand le journal de protocole commence un nouveau fichier.',
    de: 'Wann das Protokoll-Log eine neue Datei beginnt.',
    it: 'Quando il log di protocollo inizia un nuovo file.',
  },
  sizeQuota: {
    fr: 'Commencer aussi un nouveau fichier de journal de protocole quand un fichier atteint cette taille ; 0 : selon la durée uniquement.',
    de: 'Zusätzlich eine neue Protokoll-Log-Datei beginnen, wenn eine diese Größe erreicht; 0: nur nach Zeit.',
    it: 'Iniziare un nuovo file di log di protocollo anche quando uno raggiunge questa dimensione; 0: solo in base al tempo.',
  },
  maxAge: {
    fr: "Supprimer les fichiers de journal de protocole plus anciens que cette durée ; 0 : pas de limite d'âge.",
    de: 'Protokoll-Log-Dateien löschen, die älter als dieser Wert sind; 0: keine Altersgrenze.',
    it: 'Eliminare i file di log di protocollo più vecchi di questo valore; 0: nessun limite di età.',
  },
  logLocation: (dir: string): Translated => ({
    fr: `Répertoire des fichiers de journal de protocole. Vide : DATA_DIR/logs/${dir}.`,
    de: `Verzeichnis der Protokoll-Log-Dateien. Leer: DATA_DIR/logs/${dir}.`,
    it: `Directory dei file di log di protocollo. Vuoto: DATA_DIR/logs/${dir}.`,
  }),
  certificateOfHost: {
    fr: "Nom d'hôte dont ce service présente le certificat (comparé aux SAN des certificats). Vide : le certificat créé par init.",
    de: 'Hostname, dessen Zertifikat dieser Dienst vorlegt (abgeglichen mit den SANs der Zertifikate). Leer: das von init erstellte Zertifikat.',
    it: 'Nome host di cui questo servizio presenta il certificato (confrontato con i SAN dei certificati). Vuoto: il certificato creato da init.',
  },
};

/** The settings IMAP4 and POP3 share (schema.ts common()). */
function imapPop(logDir: string, backendPort: number): Texts {
  return {
    'login-type': {
      fr: 'SecureLogin : aucun identifiant avant TLS. PlainTextAuthentication : mécanismes à mot de passe uniquement sous TLS. PlainTextLogin : connexion en clair autorisée (non sécurisée, journalisée).',
      de: 'SecureLogin: keine Anmeldedaten vor TLS. PlainTextAuthentication: Passwortverfahren nur über TLS. PlainTextLogin: Anmeldung im Klartext erlaubt (unsicher, wird protokolliert).',
      it: 'SecureLogin: nessuna credenziale prima di TLS. PlainTextAuthentication: meccanismi con password solo su TLS. PlainTextLogin: accesso in chiaro consentito (non sicuro, registrato).',
    },
    'ssl-bindings': { fr: 'Adresses et ports avec TLS implicite.', de: 'Adressen und Ports mit implizitem TLS.', it: 'Indirizzi e porte con TLS implicito.' },
    'unencrypted-or-tls-bindings': {
      fr: 'Adresses et ports qui commencent en clair et proposent STARTTLS/STLS.',
      de: 'Adressen und Ports, die im Klartext beginnen und STARTTLS/STLS anbieten.',
      it: 'Indirizzi e porte che iniziano in chiaro e offrono STARTTLS/STLS.',
    },
    'x509-certificate-name': SAME.certificateOfHost,
    banner: { fr: "Texte d'accueil.", de: 'Begrüßungstext.', it: 'Testo di benvenuto.' },
    'max-connections': {
      fr: 'Nombre maximal de connexions simultanées à ce service.',
      de: 'Höchstzahl gleichzeitiger Verbindungen zu diesem Dienst.',
      it: 'Numero massimo di connessioni simultanee a questo servizio.',
    },
    'max-connection-from-single-ip': SAME.connectionsFromOneIp,
    'max-connections-per-user': {
      fr: "Nombre maximal de sessions authentifiées simultanées d'un même utilisateur.",
      de: 'Höchstzahl gleichzeitiger angemeldeter Sitzungen eines Benutzers.',
      it: 'Numero massimo di sessioni autenticate simultanee di uno stesso utente.',
    },
    'max-command-size': {
      fr: "Longueur maximale d'une ligne de commande acceptée (les littéraux sont limités séparément).",
      de: 'Längste akzeptierte Befehlszeile (Literale werden getrennt begrenzt).',
      it: 'Lunghezza massima di una riga di comando accettata (i literal sono limitati separatamente).',
    },
    'authenticated-connection-timeout': {
      fr: "Durée d'inactivité après laquelle une session authentifiée est fermée.",
      de: 'Leerlaufzeit, nach der eine angemeldete Sitzung geschlossen wird.',
      it: 'Tempo di inattività dopo il quale una sessione autenticata viene chiusa.',
    },
    'pre-authenticated-connection-timeout': {
      fr: "Durée d'inactivité après laquelle une connexion encore non authentifiée est fermée.",
      de: 'Leerlaufzeit, nach der eine noch nicht angemeldete Verbindung geschlossen wird.',
      it: "Tempo di inattività dopo il quale una connessione che non ha ancora effettuato l'accesso viene chiusa.",
    },
    'protocol-log-enabled': {
      fr: 'Écrire le journal de protocole, commande par commande.',
      de: 'Das Protokoll-Log (je Befehl) schreiben.',
      it: 'Scrivere il log di protocollo, comando per comando.',
    },
    'log-file-roll-over-settings': SAME.rollOver,
    'log-per-file-size-quota': SAME.sizeQuota,
    'protocol-log-max-age': SAME.maxAge,
    'protocol-log-max-directory-size': {
      fr: 'Supprimer les plus anciens fichiers de journal de protocole tant que les journaux de ce protocole dépassent cette taille ; 0 : pas de limite de taille.',
      de: 'Die ältesten Protokoll-Log-Dateien löschen, solange die Logs dieses Protokolls größer sind; 0: keine Größengrenze.',
      it: 'Eliminare i file di log di protocollo più vecchi finché i log di questo protocollo superano questa dimensione; 0: nessun limite di dimensione.',
    },
    'enable-exact-rfc822-size': {
      fr: 'Indiquer la taille exacte des messages (toujours exacte ici : les messages sont stockés tels que reçus).',
      de: 'Exakte Nachrichtengrößen melden (hier immer exakt: Nachrichten werden so gespeichert, wie sie empfangen wurden).',
      it: 'Riportare le dimensioni esatte dei messaggi (qui sempre esatte: i messaggi sono memorizzati così come ricevuti).',
    },
    'log-file-location': SAME.logLocation(logDir),
    'internal-connection-settings': {
      fr: "Comment les clients internes à l'organisation joignent ce service (host:port:SSL, host:port:TLS ou host:port: en clair) ; chaque port doit être une liaison de ce service du type correspondant. Utilisé par l'analyseur (noms des certificats) et par `portcullis test`.",
      de: 'Wie Clients innerhalb der Organisation diesen Dienst erreichen (host:port:SSL, host:port:TLS oder host:port: für Klartext); jeder Port muss eine Bindung dieses Dienstes der passenden Art sein. Verwendet von der Analyse (Zertifikatsnamen) und von `portcullis test`.',
      it: "Come i client interni all'organizzazione raggiungono questo servizio (host:port:SSL, host:port:TLS o host:port: in chiaro); ogni porta deve essere un binding di questo servizio del tipo corrispondente. Usato dall'analizzatore (nomi dei certificati) e da `portcullis test`.",
    },
    'external-connection-settings': {
      fr: 'Comment les clients sur Internet joignent ce service, sous la même forme que internal-connection-settings.',
      de: 'Wie Clients im Internet diesen Dienst erreichen, in derselben Form wie internal-connection-settings.',
      it: 'Come i client su Internet raggiungono questo servizio, nella stessa forma di internal-connection-settings.',
    },
    'suppress-read-receipt': {
      fr: "Ne pas laisser ce service envoyer d'accusés de lecture (MDN) au nom de l'utilisateur ; le client de messagerie envoie les siens.",
      de: 'Diesen Dienst keine Lesebestätigungen (MDN) im Namen des Benutzers senden lassen; das Mailprogramm sendet eigene.',
      it: "Non lasciare che questo servizio invii conferme di lettura (MDN) per conto dell'utente; il client di posta invia le proprie.",
    },
    'proxy-target-port': {
      fr: "Port d'un backend distant quand une entrée de proxy-targets n'indique pas de port.",
      de: 'Port eines entfernten Backends, wenn ein Eintrag in proxy-targets keinen Port nennt.',
      it: 'Porta di un backend remoto quando una voce di proxy-targets non indica la porta.',
    },
    'proxy-targets': {
      fr: 'Nœuds backend vers lesquels ce frontend relaie les sessions authentifiées (TLS, secret de cluster) ; les utilisateurs sont répartis sur les nœuds en bonne santé par hachage cohérent. Vide : le backend de ce processus.',
      de: 'Backend-Knoten, an die dieses Frontend angemeldete Sitzungen weiterleitet (TLS, Cluster-Geheimnis); die Benutzer werden per konsistentem Hashing auf die funktionsfähigen verteilt. Leer: das Backend in diesem Prozess.',
      it: 'Nodi backend verso cui questo frontend inoltra le sessioni autenticate (TLS, segreto del cluster); gli utenti sono distribuiti tra quelli funzionanti con un hash consistente. Vuoto: il backend di questo processo.',
    },
    'backend-bindings': {
      fr: `Adresses et ports où le backend de ce nœud accepte les sessions de frontends distants (TLS, secret de cluster, trusted-frontends uniquement), p. ex. 0.0.0.0:${backendPort}. Vide : uniquement le frontend de ce processus.`,
      de: `Adressen und Ports, an denen das Backend dieses Knotens Sitzungen entfernter Frontends annimmt (TLS, Cluster-Geheimnis, nur trusted-frontends), z. B. 0.0.0.0:${backendPort}. Leer: nur das Frontend im selben Prozess.`,
      it: `Indirizzi e porte su cui il backend di questo nodo accetta sessioni da frontend remoti (TLS, segreto del cluster, solo trusted-frontends), ad es. 0.0.0.0:${backendPort}. Vuoto: solo il frontend nello stesso processo.`,
    },
  };
}

const IMAP: Texts = {
  ...imapPop('imap4', 1993),
  'max-literal-size': {
    fr: 'Plus grand littéral accepté (et donc plus grand message ajouté par APPEND).',
    de: 'Größtes akzeptiertes Literal (und damit größte per APPEND abgelegte Nachricht).',
    it: 'Literal più grande accettato (e quindi messaggio più grande aggiunto con APPEND).',
  },
  'show-hidden-folders-enabled': {
    fr: 'Lister les dossiers dont le nom commence par un point.',
    de: 'Ordner auflisten, deren Name mit einem Punkt beginnt.',
    it: 'Elencare le cartelle il cui nome inizia con un punto.',
  },
};

const POP: Texts = {
  ...imapPop('pop3', 1995),
  'message-retrieval-sort-order': {
    fr: "Ordre dans lequel la boîte aux lettres liste les messages (par ordre d'arrivée).",
    de: 'Reihenfolge, in der das Postfach die Nachrichten auflistet (nach Eingang).',
    it: 'Ordine in cui la casella di posta elenca i messaggi (per arrivo).',
  },
  'login-delay': { fr: "LOGIN-DELAY annoncé (RFC 2449) ; 0 l'omet.", de: 'Angekündigtes LOGIN-DELAY (RFC 2449); 0 lässt es weg.', it: 'LOGIN-DELAY annunciato (RFC 2449); 0 lo omette.' },
  'expire-days': { fr: 'EXPIRE annoncé (RFC 2449) ; -1 annonce NEVER.', de: 'Angekündigtes EXPIRE (RFC 2449); -1 kündigt NEVER an.', it: 'EXPIRE annunciato (RFC 2449); -1 annuncia NEVER.' },
};

const SMTP: Texts = {
  'login-type': {
    fr: "SecureLogin : pas d'AUTH avant TLS (530 5.7.0). PlainTextAuthentication : mécanismes à mot de passe uniquement sous TLS. PlainTextLogin : AUTH autorisé en clair (non sécurisé, journalisé).",
    de: 'SecureLogin: kein AUTH vor TLS (530 5.7.0). PlainTextAuthentication: Passwortverfahren nur über TLS. PlainTextLogin: AUTH im Klartext erlaubt (unsicher, wird protokolliert).',
    it: 'SecureLogin: nessun AUTH prima di TLS (530 5.7.0). PlainTextAuthentication: meccanismi con password solo su TLS. PlainTextLogin: AUTH consentito in chiaro (non sicuro, registrato).',
  },
  'ssl-bindings': {
    fr: 'Adresses et ports avec TLS implicite (submissions, RFC 8314).',
    de: 'Adressen und Ports mit implizitem TLS (submissions, RFC 8314).',
    it: 'Indirizzi e porte con TLS implicito (submissions, RFC 8314).',
  },
  'unencrypted-or-tls-bindings': {
    fr: 'Adresses et ports qui commencent en clair et proposent STARTTLS (submission, RFC 6409).',
    de: 'Adressen und Ports, die im Klartext beginnen und STARTTLS anbieten (submission, RFC 6409).',
    it: 'Indirizzi e porte che iniziano in chiaro e offrono STARTTLS (submission, RFC 6409).',
  },
  'tls-certificate-name': {
    fr: "Nom d'hôte dont le service de soumission présente le certificat.",
    de: 'Hostname, dessen Zertifikat der Einlieferungsdienst vorlegt.',
    it: 'Nome host di cui il servizio di invio presenta il certificato.',
  },
  fqdn: {
    fr: "Nom utilisé dans l'accueil, la réponse à EHLO, les en-têtes Received et les avis de non-remise ; il doit correspondre au certificat. Vide : le nom d'hôte donné à init.",
    de: 'Name in der Begrüßung, der EHLO-Antwort, den Received-Headern und Unzustellbarkeitsberichten; sollte zum Zertifikat passen. Leer: der bei init angegebene Hostname.',
    it: 'Nome nel saluto, nella risposta a EHLO, nelle intestazioni Received e negli avvisi di mancato recapito; deve corrispondere al certificato. Vuoto: il nome host indicato a init.',
  },
  banner: { fr: "Texte d'accueil après le fqdn.", de: 'Begrüßungstext nach dem fqdn.', it: 'Testo di benvenuto dopo il fqdn.' },
  'require-tls': {
    fr: "Refuser MAIL FROM sur une connexion non chiffrée, quel que soit le type d'authentification.",
    de: 'MAIL FROM auf einer unverschlüsselten Verbindung ablehnen, unabhängig vom Anmeldetyp.',
    it: 'Rifiutare MAIL FROM su una connessione non cifrata, qualunque sia il tipo di accesso.',
  },
  'max-message-size': {
    fr: 'Plus grand message accepté (annoncé avec SIZE ; refusé à MAIL SIZE= et pendant DATA avec 552 5.3.4).',
    de: 'Größte akzeptierte Nachricht (mit SIZE angekündigt; bei MAIL SIZE= und während DATA mit 552 5.3.4 abgelehnt).',
    it: 'Messaggio più grande accettato (annunciato con SIZE; rifiutato a MAIL SIZE= e durante DATA con 552 5.3.4).',
  },
  'max-recipients': {
    fr: 'Nombre maximal de RCPT TO par message ; au-delà : 452 4.5.3.',
    de: 'Höchstzahl von RCPT TO pro Nachricht; weitere erhalten 452 4.5.3.',
    it: 'Numero massimo di RCPT TO per messaggio; quelli in più ricevono 452 4.5.3.',
  },
  'max-connections': {
    fr: 'Nombre maximal de connexions simultanées au service de soumission.',
    de: 'Höchstzahl gleichzeitiger Verbindungen zum Einlieferungsdienst.',
    it: 'Numero massimo di connessioni simultanee al servizio di invio.',
  },
  'max-connection-from-single-ip': SAME.connectionsFromOneIp,
  'connection-inactivity-timeout': SAME.idleTimeout,
  smarthost: {
    fr: "Relais par lequel part le courrier destiné aux destinataires non locaux. Vide : les messages restent en file d'attente.",
    de: 'Wohin E-Mails für nicht lokale Empfänger weitergeleitet werden. Leer: Nachrichten bleiben in der Warteschlange.',
    it: 'Dove viene inoltrata la posta per destinatari non locali. Vuoto: i messaggi restano in coda.',
  },
  'smarthost-tls': {
    fr: 'TLS vers le smarthost : starttls (obligatoire, port 587/25), implicit (port 465) ou none (bouclage uniquement !).',
    de: 'TLS zum Smarthost: starttls (erforderlich, Port 587/25), implicit (Port 465) oder none (nur Loopback!).',
    it: 'TLS verso lo smarthost: starttls (obbligatorio, porta 587/25), implicit (porta 465) o none (solo loopback!).',
  },
  'smarthost-tls-verify': {
    fr: 'Vérifier le certificat du smarthost avec le magasin de certificats de confiance du système.',
    de: 'Das Zertifikat des Smarthosts gegen den Vertrauensspeicher des Systems prüfen.',
    it: "Verificare il certificato dello smarthost con l'archivio dei certificati attendibili del sistema.",
  },
  'smarthost-auth-user': {
    fr: "Nom d'utilisateur pour AUTH auprès du smarthost ; vide : pas d'AUTH.",
    de: 'Benutzername für AUTH beim Smarthost; leer: kein AUTH.',
    it: 'Nome utente per AUTH presso lo smarthost; vuoto: nessun AUTH.',
  },
  'smarthost-auth-password-file': {
    fr: 'Fichier contenant le mot de passe du smarthost (première ligne) ; lu à chaque connexion, jamais journalisé.',
    de: 'Datei mit dem Passwort für den Smarthost (erste Zeile); bei jeder Verbindung gelesen, nie protokolliert.',
    it: 'File con la password dello smarthost (prima riga); letto a ogni connessione, mai registrato.',
  },
  'retry-initial-interval': {
    fr: 'Attente avant le premier nouvel essai ; doublée après chaque tentative échouée.',
    de: 'Wartezeit vor dem ersten erneuten Versuch; verdoppelt sich nach jedem Fehlversuch.',
    it: 'Attesa prima del primo nuovo tentativo; raddoppia dopo ogni tentativo fallito.',
  },
  'retry-max-interval': { fr: 'Attente maximale entre deux tentatives.', de: 'Längste Wartezeit zwischen zwei Versuchen.', it: 'Attesa massima tra due tentativi.' },
  'max-delivery-attempts': {
    fr: "Nombre de tentatives avant qu'un message soit renvoyé (DSN) à son expéditeur (environ une journée avec les intervalles par défaut).",
    de: 'Versuche, bevor eine Nachricht als unzustellbar (DSN) an den Absender zurückgeht (etwa ein Tag mit den Standardintervallen).',
    it: 'Tentativi prima che un messaggio venga restituito (DSN) al mittente (circa un giorno con gli intervalli predefiniti).',
  },
  'protocol-log-enabled': {
    fr: 'Écrire le journal de protocole, commande par commande, des sessions de soumission (données AUTH masquées, corps des messages jamais journalisés).',
    de: 'Das Protokoll-Log (je Befehl) der Einlieferungssitzungen schreiben (AUTH-Daten maskiert, Nachrichteninhalte nie protokolliert).',
    it: 'Scrivere il log di protocollo, comando per comando, delle sessioni di invio (dati AUTH mascherati, corpi dei messaggi mai registrati).',
  },
  'log-file-roll-over-settings': SAME.rollOver,
  'log-per-file-size-quota': SAME.sizeQuota,
  'protocol-log-max-age': SAME.maxAge,
  'protocol-log-max-directory-size': {
    fr: 'Supprimer les plus anciens fichiers de journal de protocole tant que les journaux de soumission dépassent cette taille ; 0 : pas de limite de taille.',
    de: 'Die ältesten Protokoll-Log-Dateien löschen, solange die Logs der Einlieferung größer sind; 0: keine Größengrenze.',
    it: 'Eliminare i file di log di protocollo più vecchi finché i log di invio superano questa dimensione; 0: nessun limite di dimensione.',
  },
  'log-file-location': SAME.logLocation('smtp'),
};

const LMTP: Texts = {
  bindings: {
    fr: "Où écoute le service LMTP : TCP en bouclage ou socket unix. Ne l'exposez jamais : LMTP n'a aucune authentification.",
    de: 'Wo der LMTP-Dienst lauscht: TCP auf Loopback oder ein Unix-Socket. Nie nach außen öffnen: LMTP hat keine Authentifizierung.',
    it: 'Dove ascolta il servizio LMTP: TCP su loopback o un socket unix. Non esporlo mai: LMTP non ha autenticazione.',
  },
  'max-message-size': { fr: 'Plus grand message accepté.', de: 'Größte akzeptierte Nachricht.', it: 'Messaggio più grande accettato.' },
  'max-recipients': { fr: 'Nombre maximal de RCPT TO par transaction.', de: 'Höchstzahl von RCPT TO pro Transaktion.', it: 'Numero massimo di RCPT TO per transazione.' },
  'max-connections': { fr: 'Nombre maximal de connexions LMTP simultanées.', de: 'Höchstzahl gleichzeitiger LMTP-Verbindungen.', it: 'Numero massimo di connessioni LMTP simultanee.' },
  'connection-inactivity-timeout': SAME.idleTimeout,
  'plus-addressing-enabled': {
    fr: 'user+folder@domain est distribué à user@domain, dans le dossier « folder » s’il existe (sinon INBOX).',
    de: 'user+folder@domain wird an user@domain zugestellt, in den Ordner „folder“, falls es ihn gibt (sonst INBOX).',
    it: 'user+folder@domain viene recapitato a user@domain, nella cartella "folder" se esiste (altrimenti INBOX).',
  },
};

const SERVER: Texts = {
  'tls-min-version': {
    fr: 'Plus ancienne version de TLS acceptée par les services (1.0 et 1.1 ne sont jamais proposées).',
    de: 'Älteste TLS-Version, die ein Dienst akzeptiert (1.0 und 1.1 werden nie angeboten).',
    it: 'Versione di TLS più vecchia accettata dai servizi (1.0 e 1.1 non sono mai offerte).',
  },
  'cluster-secret-file': {
    fr: "Fichier contenant le secret (au moins 32 octets) partagé par tous les nœuds frontend et backend d'une installation ; il authentifie chaque extrémité d'une session relayée auprès de l'autre. Vide : aucun transfert vers un nœud distant.",
    de: 'Datei mit dem Geheimnis (mindestens 32 Bytes), das alle Frontend- und Backend-Knoten einer Installation teilen; es weist jedes Ende einer weitergeleiteten Sitzung gegenüber dem anderen aus. Leer: keine Übergabe an entfernte Knoten.',
    it: "File con il segreto (almeno 32 byte) condiviso da tutti i nodi frontend e backend di un'installazione; autentica ciascun capo di una sessione inoltrata presso l'altro. Vuoto: nessun passaggio a nodi remoti.",
  },
  'trusted-frontends': {
    fr: 'Réseaux dont les frontends peuvent transmettre des sessions aux backend-bindings de ce nœud ; les autres sont refusés avant toute lecture de données.',
    de: 'Netze, deren Frontends Sitzungen an die backend-bindings dieses Knotens übergeben dürfen; andere werden abgewiesen, bevor Daten gelesen werden.',
    it: 'Reti i cui frontend possono passare sessioni ai backend-bindings di questo nodo; le altre vengono rifiutate prima di leggere qualsiasi dato.',
  },
  'trusted-proxies': {
    fr: "Répartiteurs de charge qui placent un en-tête du protocole PROXY (v1 ou v2) avant chaque connexion ; depuis ces adresses, l'en-tête est obligatoire et son adresse client sert aux journaux, aux limites et au ralentissement des échecs. Un en-tête PROXY venant de toute autre adresse est refusé.",
    de: 'Load Balancer, die jeder Verbindung einen Header des PROXY-Protokolls (v1 oder v2) voranstellen; von diesen Adressen ist der Header Pflicht, und seine Client-Adresse gilt für Logs, Limits und Drosselung. Ein PROXY-Header von jeder anderen Adresse wird abgewiesen.',
    it: "Bilanciatori di carico che antepongono a ogni connessione un'intestazione del protocollo PROXY (v1 o v2); da questi indirizzi l'intestazione è obbligatoria e il suo indirizzo client è usato per log, limiti e rallentamento. Un'intestazione PROXY da qualsiasi altro indirizzo viene rifiutata.",
  },
  'run-as-user': {
    fr: "Quand serve démarre en root : ouvrir les ports, puis passer à cet utilisateur (et à son groupe). Le répertoire de données doit lui appartenir. Vide : continuer sous l'utilisateur qui a démarré le serveur.",
    de: 'Wenn serve als root startet: die Ports binden, dann zu diesem Benutzer (und seiner Gruppe) wechseln. Das Datenverzeichnis muss ihm gehören. Leer: als der startende Benutzer weiterlaufen.',
    it: "Quando serve parte come root: aprire le porte, poi passare a questo utente (e al suo gruppo). La directory dei dati deve appartenergli. Vuoto: continuare con l'utente che ha avviato il server.",
  },
};

const ADMIN: Texts = {
  bindings: {
    fr: "Adresses et ports de l'API d'administration et de la console web. HTTP simple sur les adresses de bouclage ; HTTPS avec x509-certificate-name sur toute autre adresse.",
    de: 'Adressen und Ports der Verwaltungs-API und der Webkonsole. Einfaches HTTP auf Loopback-Adressen; HTTPS mit x509-certificate-name auf jeder anderen Adresse.',
    it: "Indirizzi e porte dell'API di amministrazione e della console web. HTTP semplice sugli indirizzi di loopback; HTTPS con x509-certificate-name su qualsiasi altro indirizzo.",
  },
  'x509-certificate-name': {
    fr: "Nom d'hôte dont l'API d'administration présente le certificat sur les liaisons hors bouclage.",
    de: 'Hostname, dessen Zertifikat die Verwaltungs-API auf Bindungen außerhalb von Loopback vorlegt.',
    it: "Nome host di cui l'API di amministrazione presenta il certificato sui binding non di loopback.",
  },
};

const AUTH: Texts = {
  'master-users': {
    fr: "Adresses autorisées à se connecter avec l'identité d'autorisation d'un autre utilisateur (authzid SASL) ; tous les autres reçoivent AUTHORIZATIONFAILED.",
    de: 'Adressen, die sich mit der Autorisierungsidentität eines anderen Benutzers anmelden dürfen (SASL-authzid); alle anderen erhalten AUTHORIZATIONFAILED.',
    it: "Indirizzi che possono accedere con l'identità di autorizzazione di un altro utente (authzid SASL); tutti gli altri ricevono AUTHORIZATIONFAILED.",
  },
  'allow-list': {
    fr: 'Réseaux (CIDR) jamais ralentis ni bloqués par la limitation des échecs, p. ex. 10.0.0.0/8,2001:db8::/32.',
    de: 'Netze (CIDR), die die Drosselung nach Fehlversuchen nie verzögert oder sperrt, z. B. 10.0.0.0/8,2001:db8::/32.',
    it: 'Reti (CIDR) mai rallentate né bloccate dalla limitazione dei tentativi falliti, ad es. 10.0.0.0/8,2001:db8::/32.',
  },
  'free-failures': {
    fr: "Échecs d'un même réseau (ou pour un même compte) qui reçoivent une réponse sans délai supplémentaire.",
    de: 'Fehlversuche aus einem Netz (oder für ein Konto), die ohne zusätzliche Verzögerung beantwortet werden.',
    it: 'Tentativi falliti da una rete (o per un account) a cui si risponde senza ritardo aggiuntivo.',
  },
  'max-delay-ms': {
    fr: "Délai maximal ajouté à une réponse d'échec (il double à chaque échec).",
    de: 'Längste Verzögerung, die einer Fehlerantwort hinzugefügt wird (sie verdoppelt sich mit jedem Fehlversuch).',
    it: 'Ritardo massimo aggiunto a una risposta di errore (raddoppia a ogni tentativo fallito).',
  },
  'ip-block-after': {
    fr: "Échecs d'un même réseau (IPv6 par /64) avant qu'il soit bloqué pendant block-minutes.",
    de: 'Fehlversuche aus einem Netz (IPv6 je /64), bevor es für block-minutes gesperrt wird.',
    it: 'Tentativi falliti da una rete (IPv6 per /64) prima che venga bloccata per block-minutes.',
  },
  'block-minutes': {
    fr: 'Durée pendant laquelle un réseau bloqué le reste.',
    de: 'Wie lange ein gesperrtes Netz gesperrt bleibt.',
    it: 'Per quanto tempo una rete bloccata resta bloccata.',
  },
  'oauth-issuers-file': {
    fr: 'Fichier JSON des émetteurs de jetons bearer de confiance pour OAUTHBEARER/XOAUTH2 ({"issuers":[{"issuer","audience":[],"keys":[{"pem"}|{"jwk"}],"usernameClaim"}]}) ; vide : non proposé.',
    de: 'JSON-Datei der vertrauenswürdigen Aussteller von Bearer-Tokens für OAUTHBEARER/XOAUTH2 ({"issuers":[{"issuer","audience":[],"keys":[{"pem"}|{"jwk"}],"usernameClaim"}]}); leer: nicht angeboten.',
    it: 'File JSON degli emittenti attendibili di token bearer per OAUTHBEARER/XOAUTH2 ({"issuers":[{"issuer","audience":[],"keys":[{"pem"}|{"jwk"}],"usernameClaim"}]}); vuoto: non offerto.',
  },
  'client-certificate-ca-file': {
    fr: "Certificat(s) d'AC au format PEM servant à vérifier les certificats clients TLS pour SASL EXTERNAL ; si défini, IMAP, POP3 et la soumission demandent un certificat (facultatif) à chaque client TLS. Vide : aucun certificat n'est demandé et EXTERNAL n'est pas proposé.",
    de: 'PEM-CA-Zertifikat(e), gegen die TLS-Client-Zertifikate für SASL EXTERNAL geprüft werden; wenn gesetzt, fordern IMAP, POP3 und die Einlieferung von jedem TLS-Client ein Zertifikat an (optional). Leer: es wird kein Zertifikat angefordert und EXTERNAL nicht angeboten.',
    it: 'Certificato/i CA in formato PEM con cui vengono verificati i certificati client TLS per SASL EXTERNAL; se impostato, IMAP, POP3 e il servizio di invio chiedono un certificato (facoltativo) a ogni client TLS. Vuoto: nessun certificato viene richiesto ed EXTERNAL non è offerto.',
  },
  'client-certificate-identity': {
    fr: "Champ d'un certificat client vérifié qui désigne le compte : email (le premier subjectAltName rfc822Name, sinon l'emailAddress du sujet) ou common-name (le CN du sujet).",
    de: 'Welches Feld eines geprüften Client-Zertifikats das Konto benennt: email (der erste rfc822Name-subjectAltName, sonst die emailAddress des Subjects) oder common-name (der CN des Subjects).',
    it: "Campo di un certificato client verificato che indica l'account: email (il primo subjectAltName rfc822Name, altrimenti l'emailAddress del soggetto) o common-name (il CN del soggetto).",
  },
  'window-minutes': {
    fr: "Un compteur d'échecs (par réseau ou par compte) sans nouvel échec pendant cette durée repart de zéro ; c'est aussi la période des détections d'attaque.",
    de: 'Ein Fehlerzähler (pro Netz oder Konto) ohne weiteren Fehlversuch während dieser Zeit beginnt wieder bei null; zugleich der Zeitraum der Angriffserkennung.',
    it: "Un contatore di errori (per rete o per account) senza nuovi tentativi falliti per questo tempo riparte da zero; è anche l'intervallo dei rilevamenti di attacco.",
  },
  'base-delay-ms': {
    fr: "Premier délai supplémentaire d'une réponse d'échec après free-failures ; il double à chaque nouvel échec, jusqu'à max-delay-ms.",
    de: 'Erste zusätzliche Verzögerung einer Fehlerantwort nach free-failures; sie verdoppelt sich mit jedem weiteren Fehlversuch bis max-delay-ms.',
    it: 'Primo ritardo aggiuntivo di una risposta di errore dopo free-failures; raddoppia a ogni ulteriore tentativo fallito fino a max-delay-ms.',
  },
  'ip-distinct-accounts-block-after': {
    fr: "Nombre de comptes différents en échec depuis un même réseau dans la période qui bloque aussitôt ce réseau (pulvérisation de mots de passe) ; signalé comme auth-attack-detected.",
    de: 'Anzahl verschiedener Konten mit Fehlversuchen aus einem Netz innerhalb des Zeitraums, die das Netz sofort sperrt (Password-Spraying); gemeldet als auth-attack-detected.',
    it: 'Numero di account diversi con tentativi falliti da una stessa rete nel periodo che blocca subito la rete (password spraying); segnalato come auth-attack-detected.',
  },
  'account-distinct-networks-alert': {
    fr: "Nombre de réseaux différents en échec pour un même compte dans la période qui est signalé comme auth-attack-detected ; les réseaux inconnus reçoivent alors max-delay-ms pour ce compte (jamais de blocage).",
    de: 'Anzahl verschiedener Netze mit Fehlversuchen für ein Konto innerhalb des Zeitraums, die als auth-attack-detected gemeldet wird; unbekannte Netze erhalten dann max-delay-ms für dieses Konto (nie eine Sperre).',
    it: 'Numero di reti diverse con tentativi falliti per uno stesso account nel periodo che viene segnalato come auth-attack-detected; le reti sconosciute ricevono allora max-delay-ms per quell\'account (mai un blocco).',
  },
  'argon2-memory-kib': {
    fr: "Coût mémoire argon2id des nouveaux hachages de mot de passe (minimum OWASP 19456). Un hachage fait avec moins est recalculé à la connexion.",
    de: 'argon2id-Speicheraufwand neuer Passwort-Hashes (OWASP-Minimum 19456). Ein mit weniger erzeugter Hash wird bei der Anmeldung neu berechnet.',
    it: 'Costo di memoria argon2id dei nuovi hash delle password (minimo OWASP 19456). Un hash creato con meno viene ricalcolato all\'accesso.',
  },
  'argon2-iterations': {
    fr: "Coût en temps argon2id (passes) des nouveaux hachages de mot de passe (minimum OWASP 2). Un hachage fait avec moins de passes est recalculé à la connexion.",
    de: 'argon2id-Zeitaufwand (Durchläufe) neuer Passwort-Hashes (OWASP-Minimum 2). Ein mit weniger Durchläufen erzeugter Hash wird bei der Anmeldung neu berechnet.',
    it: 'Costo di tempo argon2id (passaggi) dei nuovi hash delle password (minimo OWASP 2). Un hash creato con meno passaggi viene ricalcolato all\'accesso.',
  },
  'argon2-parallelism': {
    fr: "Voies argon2id des nouveaux hachages de mot de passe. Un hachage fait avec moins de voies est recalculé à la connexion.",
    de: 'argon2id-Spuren (Lanes) neuer Passwort-Hashes. Ein mit weniger Spuren erzeugter Hash wird bei der Anmeldung neu berechnet.',
    it: 'Corsie (lane) argon2id dei nuovi hash delle password. Un hash creato con meno corsie viene ricalcolato all\'accesso.',
  },
  'allow-weak-hash-schemes': {
    fr: "Schémas de mot de passe Dovecot importés, trop faibles pour être conservés, qui peuvent encore être vérifiés (le hachage est alors remplacé par argon2id à cette connexion). Vide : ces hachages ne sont jamais acceptés et le journal indique pourquoi.",
    de: 'Importierte Dovecot-Passwortschemata, zu schwach zum Speichern, die dennoch geprüft werden dürfen (der Hash wird dann bei dieser Anmeldung durch argon2id ersetzt). Leer: solche Hashes werden nie akzeptiert, und das Log nennt den Grund.',
    it: 'Schemi di password Dovecot importati, troppo deboli per essere conservati, che possono ancora essere verificati (l\'hash viene allora sostituito da argon2id a quell\'accesso). Vuoto: tali hash non vengono mai accettati e il log ne indica il motivo.',
  },
};

const attributeOff = (proto: string, values: string): Translated => ({
  fr: `Attribut qui désactive ${proto} pour un utilisateur${values}.`,
  de: `Attribut, das ${proto} für einen Benutzer abschaltet${values}.`,
  it: `Attributo che disattiva ${proto} per un utente${values}.`,
});

const DIRECTORY: Texts = {
  kind: {
    fr: 'Où se trouvent les comptes et les mots de passe : local (le stockage du serveur) ou ldap (LDAP / Active Directory).',
    de: 'Wo Konten und Passwörter liegen: local (der Speicher des Servers) oder ldap (LDAP / Active Directory).',
    it: "Dove si trovano account e password: local (l'archivio del server) o ldap (LDAP / Active Directory).",
  },
  url: { fr: "Le serveur d'annuaire.", de: 'Der Verzeichnisserver.', it: 'Il server di directory.' },
  'start-tls': { fr: 'Sécuriser les connexions ldap:// avec StartTLS.', de: 'ldap://-Verbindungen mit StartTLS absichern.', it: 'Proteggere le connessioni ldap:// con StartTLS.' },
  'ca-file': {
    fr: "Certificat(s) d'AC au format PEM auxquels le certificat de l'annuaire doit se rattacher ; vide : le magasin du système.",
    de: 'PEM-CA-Zertifikat(e), auf die das Zertifikat des Verzeichnisses zurückgehen muss; leer: der Zertifikatsspeicher des Systems.',
    it: "Certificato/i CA in formato PEM a cui deve risalire la catena del certificato della directory; vuoto: l'archivio di sistema.",
  },
  mode: {
    fr: "search-then-bind : trouver l'entrée en tant que bind-dn, puis s'authentifier avec elle ; bind-as-user : s'authentifier avec user-dn-template.",
    de: 'search-then-bind: den Eintrag als bind-dn suchen, dann als dieser binden; bind-as-user: mit user-dn-template binden.',
    it: 'search-then-bind: trovare la voce come bind-dn, poi autenticarsi come essa; bind-as-user: autenticarsi con user-dn-template.',
  },
  'bind-dn': { fr: 'Compte de service pour les recherches.', de: 'Dienstkonto für Suchen.', it: 'Account di servizio per le ricerche.' },
  'bind-password-file': {
    fr: 'Fichier contenant le mot de passe du compte de service (première ligne) ; jamais journalisé.',
    de: 'Datei mit dem Passwort des Dienstkontos (erste Zeile); nie protokolliert.',
    it: "File con la password dell'account di servizio (prima riga); mai registrata.",
  },
  'base-dn': { fr: 'Où les utilisateurs sont recherchés.', de: 'Wo Benutzer gesucht werden.', it: 'Dove vengono cercati gli utenti.' },
  'user-filter': {
    fr: 'Filtre de recherche ; {user} est le nom de connexion, échappé.',
    de: 'Suchfilter; {user} ist der maskierte Anmeldename.',
    it: 'Filtro di ricerca; {user} è il nome di accesso, con escape.',
  },
  'user-dn-template': {
    fr: 'Pour bind-as-user, p. ex. uid={user},ou=people,dc=example,dc=org ou {user} pour AD.',
    de: 'Für bind-as-user, z. B. uid={user},ou=people,dc=example,dc=org oder {user} für AD.',
    it: 'Per bind-as-user, ad es. uid={user},ou=people,dc=example,dc=org o {user} per AD.',
  },
  'address-attribute': { fr: "Attribut contenant l'adresse e-mail.", de: 'Attribut mit der E-Mail-Adresse.', it: "Attributo con l'indirizzo e-mail." },
  'quota-attribute': { fr: 'Attribut contenant le quota en octets.', de: 'Attribut mit dem Speicherkontingent in Bytes.', it: 'Attributo con la quota in byte.' },
  'imap-enabled-attribute': attributeOff('IMAP', ' (false/no/0/off/disabled)'),
  'pop-enabled-attribute': attributeOff('POP3', ''),
  'backend-attribute': {
    fr: "Attribut qui attache un utilisateur à un backend (HOST[:PORT] ; les frontends ne transmettent l'utilisateur qu'à celui-ci). Vide : aucune affectation depuis l'annuaire.",
    de: 'Attribut, das einen Benutzer an ein Backend bindet (HOST[:PORT]; Frontends übergeben den Benutzer nur dorthin). Leer: keine Zuordnung aus dem Verzeichnis.',
    it: "Attributo che vincola un utente a un backend (HOST[:PORT]; i frontend passano l'utente solo a quello). Vuoto: nessun vincolo dalla directory.",
  },
  'timeout-ms': {
    fr: "Attente maximale de l'annuaire ; ensuite, la connexion reçoit NO [UNAVAILABLE].",
    de: 'Längste Wartezeit auf das Verzeichnis; danach erhält die Anmeldung NO [UNAVAILABLE].',
    it: "Attesa massima per la directory; poi l'accesso riceve NO [UNAVAILABLE].",
  },
};

/** Descriptions by section, then setting name. */
export const SETTING_DESCRIPTIONS: Record<string, Texts> = { imap: IMAP, pop: POP, smtp: SMTP, lmtp: LMTP, server: SERVER, admin: ADMIN, auth: AUTH, directory: DIRECTORY };

/** The schema's hints (SettingType.hint and allowedText's fallbacks), by their English text. */
export const HINTS: Texts = {
  'an absolute path, or empty': { fr: 'un chemin absolu, ou vide', de: 'ein absoluter Pfad oder leer', it: 'un percorso assoluto, o vuoto' },
  'host:port:SSL|TLS| entries, comma-separated (e.g. mail.example.org:993:SSL,mail.example.org:143:TLS), or empty': {
    fr: 'entrées host:port:SSL|TLS|, séparées par des virgules (p. ex. mail.example.org:993:SSL,mail.example.org:143:TLS), ou vide',
    de: 'Einträge host:port:SSL|TLS|, durch Kommas getrennt (z. B. mail.example.org:993:SSL,mail.example.org:143:TLS), oder leer',
    it: 'voci host:port:SSL|TLS|, separate da virgole (ad es. mail.example.org:993:SSL,mail.example.org:143:TLS), o vuoto',
  },
  'networks in CIDR form, comma-separated (e.g. 10.0.0.0/8,2001:db8::/32), or empty': {
    fr: 'réseaux en notation CIDR, séparés par des virgules (p. ex. 10.0.0.0/8,2001:db8::/32), ou vide',
    de: 'Netze in CIDR-Schreibweise, durch Kommas getrennt (z. B. 10.0.0.0/8,2001:db8::/32), oder leer',
    it: 'reti in notazione CIDR, separate da virgole (ad es. 10.0.0.0/8,2001:db8::/32), o vuoto',
  },
  'a host name such as mail.example.org, or empty for the default certificate': {
    fr: "un nom d'hôte comme mail.example.org, ou vide pour le certificat par défaut",
    de: 'ein Hostname wie mail.example.org oder leer für das Standardzertifikat',
    it: 'un nome host come mail.example.org, o vuoto per il certificato predefinito',
  },
  'a host name such as mail.example.org, or empty for the configured hostname': {
    fr: "un nom d'hôte comme mail.example.org, ou vide pour le nom d'hôte configuré",
    de: 'ein Hostname wie mail.example.org oder leer für den konfigurierten Hostnamen',
    it: 'un nome host come mail.example.org, o vuoto per il nome host configurato',
  },
  'printable ASCII, at most 200 characters': {
    fr: 'ASCII imprimable, 200 caractères au plus',
    de: 'druckbares ASCII, höchstens 200 Zeichen',
    it: 'ASCII stampabile, al massimo 200 caratteri',
  },
  'HOST[:PORT],... (e.g. be1.example.org,10.0.0.7:1993), or empty': {
    fr: 'HOST[:PORT],... (p. ex. be1.example.org,10.0.0.7:1993), ou vide',
    de: 'HOST[:PORT],... (z. B. be1.example.org,10.0.0.7:1993) oder leer',
    it: 'HOST[:PORT],... (ad es. be1.example.org,10.0.0.7:1993), o vuoto',
  },
  'a system user name, or empty': { fr: "un nom d'utilisateur du système, ou vide", de: 'ein Systembenutzername oder leer', it: 'un nome utente di sistema, o vuoto' },
  'host:port such as relay.example.org:587, or empty to keep remote mail queued': {
    fr: "host:port comme relay.example.org:587, ou vide pour garder en file d'attente le courrier distant",
    de: 'host:port wie relay.example.org:587 oder leer, um entfernte Post in der Warteschlange zu halten',
    it: 'host:port come relay.example.org:587, o vuoto per tenere in coda la posta remota',
  },
  'a user name without spaces, or empty for no AUTH': {
    fr: "un nom d'utilisateur sans espaces, ou vide pour ne pas utiliser AUTH",
    de: 'ein Benutzername ohne Leerzeichen oder leer für kein AUTH',
    it: 'un nome utente senza spazi, o vuoto per nessun AUTH',
  },
  'host:port or unix:/absolute/path, comma-separated (e.g. 127.0.0.1:24 or unix:/run/portcullis/lmtp)': {
    fr: 'host:port ou unix:/chemin/absolu, séparés par des virgules (p. ex. 127.0.0.1:24 ou unix:/run/portcullis/lmtp)',
    de: 'host:port oder unix:/absoluter/pfad, durch Kommas getrennt (z. B. 127.0.0.1:24 oder unix:/run/portcullis/lmtp)',
    it: 'host:port o unix:/percorso/assoluto, separati da virgole (ad es. 127.0.0.1:24 o unix:/run/portcullis/lmtp)',
  },
  'ldap://host:389 or ldaps://host:636': { fr: 'ldap://host:389 ou ldaps://host:636', de: 'ldap://host:389 oder ldaps://host:636', it: 'ldap://host:389 o ldaps://host:636' },
  'a DN': { fr: 'un DN', de: 'ein DN', it: 'un DN' },
  'an LDAP filter with {user}': { fr: 'un filtre LDAP contenant {user}', de: 'ein LDAP-Filter mit {user}', it: 'un filtro LDAP con {user}' },
  'a DN with {user}': { fr: 'un DN contenant {user}', de: 'ein DN mit {user}', it: 'un DN con {user}' },
  'an attribute name': { fr: "un nom d'attribut", de: 'ein Attributname', it: 'un nome di attributo' },
  'an attribute name, or empty': { fr: "un nom d'attribut, ou vide", de: 'ein Attributname oder leer', it: 'un nome di attributo, o vuoto' },
  text: { fr: 'texte', de: 'Text', it: 'testo' },
  'comma-separated list': { fr: 'liste séparée par des virgules', de: 'durch Kommas getrennte Liste', it: 'elenco separato da virgole' },
  'host:port,[v6]:port,... (may be empty)': {
    fr: 'host:port,[v6]:port,... (peut être vide)',
    de: 'host:port,[v6]:port,... (darf leer sein)',
    it: 'host:port,[v6]:port,... (può essere vuoto)',
  },
  'mail addresses, comma-separated, or empty': {
    fr: 'adresses e-mail, séparées par des virgules, ou vide',
    de: 'E-Mail-Adressen, durch Kommas getrennt, oder leer',
    it: 'indirizzi e-mail, separati da virgole, oppure vuoto',
  },
  'any of PLAIN,CLEAR,PLAIN-MD5,MD5-CRYPT, comma-separated, or empty': {
    fr: "n'importe lesquels de PLAIN,CLEAR,PLAIN-MD5,MD5-CRYPT, séparés par des virgules, ou vide",
    de: 'beliebige von PLAIN,CLEAR,PLAIN-MD5,MD5-CRYPT, durch Kommas getrennt, oder leer',
    it: 'uno qualsiasi di PLAIN,CLEAR,PLAIN-MD5,MD5-CRYPT, separati da virgole, oppure vuoto',
  },
};

/** Units of whole-number settings. */
export const UNITS: Texts = {
  bytes: { fr: 'octets', de: 'Bytes', it: 'byte' },
  seconds: { fr: 'secondes', de: 'Sekunden', it: 'secondi' },
  minutes: { fr: 'minutes', de: 'Minuten', it: 'minuti' },
  days: { fr: 'jours', de: 'Tage', it: 'giorni' },
  ms: { fr: 'ms', de: 'ms', it: 'ms' },
  // Not used by the schema today; here so a new setting in these units needs only its description.
  milliseconds: { fr: 'millisecondes', de: 'Millisekunden', it: 'millisecondi' },
  hours: { fr: 'heures', de: 'Stunden', it: 'ore' },
  KiB: { fr: 'Kio', de: 'KiB', it: 'KiB' },
  MiB: { fr: 'Mio', de: 'MiB', it: 'MiB' },
};

/** A setting's description in `lang`; English (the schema's) when there is no translation. */
export function settingDescription(lang: Lang, section: string, def: SettingDef): string {
  if (lang === 'en') return def.description;
  return SETTING_DESCRIPTIONS[section]?.[def.name]?.[lang] ?? def.description;
}

/** The hint of a text, binding or list setting, in English (what allowedText shows). */
export function hintOf(def: SettingDef): string | null {
  const ty = def.type;
  if (ty.kind === 'bindings') return 'host:port,[v6]:port,... (may be empty)';
  if (ty.kind === 'string') return ty.hint ?? 'text';
  if (ty.kind === 'string-list') return ty.hint ?? 'comma-separated list';
  return null;
}

/** A hint (English text) in `lang`; the English when there is no translation. */
export function translateHint(lang: Lang, hint: string): string {
  return lang === 'en' ? hint : HINTS[hint]?.[lang] ?? hint;
}

/** A unit in `lang`; the English when there is no translation. */
export function translateUnit(lang: Lang, unit: string): string {
  return lang === 'en' ? unit : UNITS[unit]?.[lang] ?? unit;
}

/** allowedText(def) in `lang`: enum values stay as they are (they are what is typed). */
export function allowedIn(lang: Lang, def: SettingDef): string {
  if (lang === 'en') return allowedText(def);
  const ty = def.type;
  switch (ty.kind) {
    case 'enum': return allowedText(def);
    case 'int': return `${ty.min}..${ty.max}${ty.unit ? ' ' + translateUnit(lang, ty.unit) : ''}`;
    case 'bool': return `${t(lang, 'value_true')} | ${t(lang, 'value_false')}`;
    default: return translateHint(lang, hintOf(def)!);
  }
}

/**
 * Every missing translation, as "lang section.setting (what)": descriptions, hints and units of
 * every setting of every section. Empty when the console shows every setting in every language.
 */
export function missingSettingTexts(): string[] {
  const missing: string[] = [];
  for (const [section, defs] of Object.entries(SETTINGS_SECTIONS)) {
    for (const def of defs as readonly SettingDef[]) {
      for (const lang of ['fr', 'de', 'it'] as const) {
        if (!SETTING_DESCRIPTIONS[section]?.[def.name]?.[lang]?.trim()) missing.push(`${lang} ${section}.${def.name} (description)`);
        const hint = hintOf(def);
        if (hint !== null && !HINTS[hint]?.[lang]) missing.push(`${lang} ${section}.${def.name} (hint "${hint}")`);
        if (def.type.kind === 'int' && def.type.unit && !UNITS[def.type.unit]?.[lang]) missing.push(`${lang} ${section}.${def.name} (unit "${def.type.unit}")`);
      }
    }
  }
  return missing;
}
