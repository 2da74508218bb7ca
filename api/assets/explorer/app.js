/*
 * LKN network explorer: a small, dependency-free page over the GraphQL API, and the staff's web app.
 *
 * Anonymous visitors see what the network publishes as public. Members sign in on the page with a code sent to
 * their e-mail (or the links in the sign-in and invitation e-mails, /sign-in?code=… and /join?code=…, whose query
 * the page removes from the address bar at once); the session token is kept in localStorage, sent only as
 * `Authorization: Bearer`, and never put in a URL. Signed in, a member also sees network-only threads and can ask,
 * share, reply, endorse, follow, accept an answer and edit their profile.
 *
 * It talks to the API only through POST /graphql on its own origin (the page is served with a strict
 * Content-Security-Policy: no inline script or style, no other origins). Everything taken from the API is put
 * into the page with textContent (never innerHTML). Every user-facing string comes from CATALOGUE below.
 */
'use strict';

(function () {
  // ---------------------------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------------------------

  const CATALOGUE = {
    en: {
      siteTitle: 'Living Knowledge Network',
      tagline: 'Network explorer: the partners, threads and collaborations of the UK\u2019s libraries',
      pageTitle: 'Living Knowledge Network \u2014 network explorer',
      skipToContent: 'Skip to content',
      language: 'Language',
      navLabel: 'Sections',
      searchLabel: 'Search threads',
      searchPlaceholder: 'Search threads',
      searchButton: 'Search',
      loading: 'Loading\u2026',
      loaded: 'Loaded.',
      errorLoading: 'Sorry, this could not be loaded from the network\u2019s API: {message}',
      errorNetwork: 'the API could not be reached',
      errorHttp: 'the API answered with HTTP status {status}',
      errorBadResponse: 'the API sent a response this page could not read',
      retry: 'Try again',
      backToOverview: 'Back to the overview',
      publicOnly: 'This page shows only what the network publishes as public.',
      graphiqlLink: 'Explore the API in GraphiQL',
      graphiqlNote: 'note that GraphiQL loads its scripts from a CDN, so it needs internet access (this page does not).',

      partnersHeading: 'Partners',
      partnersIntro: '{count} partner libraries across the four nations of the UK.',
      partnersNone: 'No partners in this nation yet.',
      audienceOf: 'Audience reach: {n}',
      websiteOf: '{name} (website)',

      figuresHeading: 'Network figures',
      figPartners: 'Partners',
      figNations: 'Nations',
      figAudience: 'Combined audience, as far as known',
      figAudienceKnown_one: 'Known for {n} partner;',
      figAudienceKnown_other: 'Known for {n} partners;',
      figAudienceUnknown: 'not known for {n}.',
      figAudienceNoneKnown: 'No partner has reported an audience figure yet.',
      figAudienceReported: 'Reported by the network: {total}',
      figThreads: 'Threads',
      figAnswered: 'Questions answered',
      figMedianReply: 'Median time to first reply',
      figActiveCollabs: 'Active collaborations',
      figTopTags: 'Busiest tags',
      figTagCount_one: '{tag} ({n} thread)',
      figTagCount_other: '{tag} ({n} threads)',
      hours_one: '{n} hour',
      hours_other: '{n} hours',
      notKnown: 'Not known yet',

      threadsHeading: 'Newest threads',
      threadsNone: 'No public threads yet.',
      threadsCount: 'The newest {shown} of {total} public threads.',
      byAuthor: 'by {author}',
      ofPartner: '{partner}',
      postedOn: 'Posted {date}',
      replyCount_one: '{n} reply',
      replyCount_other: '{n} replies',
      tagsLabel: 'Tags',
      unknownAuthor: 'a former member',

      threadNotFound: 'This thread was not found, or it is not public.',
      repliesHeading: 'Replies',
      repliesNone: 'No replies yet.',
      repliesShown: 'Showing {shown} of {total} replies.',
      acceptedAnswer: 'Accepted answer',
      threadLanguage: 'Language: {language}',
      threadStatus: 'Status: {status}',

      searchHeading: 'Search results',
      searchFor: 'Threads matching \u201c{q}\u201d, best matches first',
      searchNone: 'No public thread matches \u201c{q}\u201d.',
      searchCount_one: '{n} thread found.',
      searchCount_other: '{n} threads found.',

      collaborationsHeading: 'Collaborations',
      collaborationsNone: 'No public collaborations yet.',
      leadPartner: 'Lead partner: {name}',
      participants: 'Participants',
      combinedReach: 'Combined reach: {n}',
      combinedReachDetail: '(known for {known} of {all} partners)',
      funder: 'Funder: {funder}',
      dates: 'Dates: {range}',
      dateRange: '{from} to {to}',
      dateFrom: 'from {from}',
      dateUntil: 'until {to}',

      months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
        'November', 'December'],
      nation: {
        ENGLAND: 'England', SCOTLAND: 'Scotland', WALES: 'Wales', NORTHERN_IRELAND: 'Northern Ireland',
      },
      partnerKind: {
        NATIONAL_LIBRARY: 'National library', LOCAL_AUTHORITY: 'Local authority',
        LIBRARY_TRUST: 'Library trust', PUBLIC_BODY: 'Public body', INDEPENDENT_LIBRARY: 'Independent library',
      },
      threadKind: { QUESTION: 'Question', IDEA: 'Idea', RESOURCE: 'Resource' },
      threadStatus: { OPEN: 'Open', ANSWERED: 'Answered', CLOSED: 'Closed' },
      threadLanguageName: { EN: 'English', CY: 'Welsh', GD: 'Scottish Gaelic', GA: 'Irish' },
      collaborationKind: {
        PROGRAMME: 'Programme', ACTIVITY: 'Activity', EXHIBITION: 'Exhibition', SHARED_CONTENT: 'Shared content',
        FUNDING_APPLICATION: 'Funding application', EVIDENCE_GATHERING: 'Evidence gathering',
      },
      collaborationStatus: {
        PROPOSED: 'Proposed', SEEKING_PARTNERS: 'Seeking partners', ACTIVE: 'Active', COMPLETED: 'Completed',
        WITHDRAWN: 'Withdrawn',
      },
      role: { LEAD: 'Lead', PARTNER: 'Partner', SUPPORTER: 'Supporter' },
      joinStatus: { REQUESTED: 'Asked to join', ACCEPTED: 'Joined', DECLINED: 'Declined' },

      membersScope: 'You are signed in, so this page also shows what the network shares with its members only.',
      accountLabel: 'Your account',
      signInLink: 'Sign in',
      signOutButton: 'Sign out',
      signedInAs: 'Signed in as {name}',
      newThreadLink: 'Ask or share',
      profileLink: 'Your profile',
      working: 'Sending\u2026',
      actionFailed: 'That did not work: {message}',
      userErrorsHeading: 'Please check this:',
      fieldNames: {
        email: 'E-mail address', code: 'Code', displayName: 'Name', title: 'Title', body: 'Text', tags: 'Tags',
        bio: 'About you', languages: 'Languages', expertise: 'Expertise', preferredLanguage: 'Language for e-mails',
      },

      signInHeading: 'Sign in',
      signInIntro: 'Members of the network sign in with their work e-mail address. We send you a code: there is no password.',
      emailLabel: 'Your e-mail address',
      sendCode: 'Send me a code',
      checkEmailHeading: 'Check your e-mail',
      checkEmail: 'If {email} is the address of a member of the network, a message with a sign-in code is on its way. It can take a minute.',
      codeLabel: 'The code from the e-mail',
      codeHint: 'Six letters and digits, as the e-mail shows them.',
      completeSignIn: 'Sign in',
      otherEmail: 'Use a different e-mail address, or send a new code',
      signingIn: 'Signing you in\u2026',
      signedIn: 'You are signed in as {name}.',
      signedOut: 'You have signed out.',
      sessionEnded: 'Your session has ended: it was signed out elsewhere, or not used for 30 days. Sign in again to carry on.',
      codeMissing: 'Enter the code from the e-mail.',
      emailMissing: 'Enter your e-mail address.',
      signInToAct: 'Sign in to reply, endorse or follow this thread.',
      signInToPost: 'Sign in to ask the network a question or share an idea or a resource.',
      signInToEditProfile: 'Sign in to edit your profile.',

      joinHeading: 'Join the network',
      joinIntro: 'You have been invited to join the Living Knowledge Network. Choose the name to show on your posts, then join: you are signed in at once.',
      joinCodeLabel: 'Invitation code',
      displayNameLabel: 'Your name, as shown on your posts',
      displayNameHint: 'Leave it empty to keep the name your invitation gave.',
      joinButton: 'Join the network',
      joined: 'Welcome to the network, {name}. You are signed in.',

      newHeading: 'Ask a question or share',
      kindLegend: 'What are you posting?',
      kindChoice: { QUESTION: 'A question for colleagues', IDEA: 'An idea to develop together', RESOURCE: 'A resource to share' },
      titleLabel: 'Title',
      titleHint: 'One line, up to 200 characters.',
      bodyLabel: 'Details',
      bodyHint: 'Optional. Plain text; Markdown is kept.',
      tagsInputLabel: 'Tags',
      tagsHint: 'Up to five, separated by commas, for example: storytime, local-history',
      languageLabel: 'Written in',
      visibilityLegend: 'Who can see it',
      visibilityChoice: { NETWORK: 'Members of the network only', PUBLIC: 'Everyone: it is public' },
      postButton: 'Post',
      similarHeading: 'Similar threads already in the network',
      similarIntro: 'Someone may have asked this already: have a look before you post.',
      similarNone: 'No similar threads found.',
      posted: 'Your thread is posted.',
      networkOnly: 'Members only',

      actionsLabel: 'What you can do',
      endorseButton: 'Endorse',
      endorsed: 'You endorse this thread.',
      endorsementCount_one: '{n} endorsement',
      endorsementCount_other: '{n} endorsements',
      followButton: 'Follow',
      unfollowButton: 'Stop following',
      following: 'You follow this thread: you will hear of its new replies.',
      unfollowed: 'You no longer follow this thread.',
      acceptButton: 'Accept as the answer',
      answerAccepted: 'The reply is accepted as the answer.',
      replyHeading: 'Your reply',
      replyLabel: 'Reply',
      replyButton: 'Post reply',
      replyPosted: 'Your reply is posted.',
      replyMissing: 'Write your reply first.',
      threadClosed: 'This thread is closed to replies.',

      profileHeading: 'Your profile',
      profileIntro: 'Colleagues see your name, what you write about yourself and your expertise when they look for someone who knows.',
      bioLabel: 'About you',
      bioHint: 'A few lines: your work, and what colleagues can ask you about.',
      languagesLegend: 'Languages you work in',
      preferredLanguageLabel: 'Language for e-mails from the network',
      expertiseLabel: 'Expertise',
      expertiseHint: 'Topics, separated by commas, for example: storytime, family-history',
      saveProfile: 'Save profile',
      profileSaved: 'Your profile is saved.',
    },

    cy: {
      siteTitle: 'Rhwydwaith Gwybodaeth Fyw',
      tagline: 'Archwiliwr y rhwydwaith: partneriaid, edafedd a chydweithrediadau llyfrgelloedd y DU',
      pageTitle: 'Rhwydwaith Gwybodaeth Fyw \u2014 archwiliwr y rhwydwaith',
      skipToContent: 'Neidio i\u2019r cynnwys',
      language: 'Iaith',
      navLabel: 'Adrannau',
      searchLabel: 'Chwilio edafedd',
      searchPlaceholder: 'Chwilio edafedd',
      searchButton: 'Chwilio',
      loading: 'Wrthi\u2019n llwytho\u2026',
      loaded: 'Wedi llwytho.',
      errorLoading: 'Mae\u2019n ddrwg gennym, methwyd llwytho hyn o API y rhwydwaith: {message}',
      errorNetwork: 'nid oedd modd cyrraedd yr API',
      errorHttp: 'atebodd yr API gyda statws HTTP {status}',
      errorBadResponse: 'anfonodd yr API ymateb nad oedd y dudalen hon yn gallu ei ddarllen',
      retry: 'Rhoi cynnig arall arni',
      backToOverview: 'Yn \u00f4l i\u2019r trosolwg',
      publicOnly: 'Dim ond yr hyn y mae\u2019r rhwydwaith yn ei gyhoeddi\u2019n gyhoeddus a ddangosir ar y dudalen hon.',
      graphiqlLink: 'Archwilio\u2019r API yn GraphiQL',
      graphiqlNote: 'sylwch fod GraphiQL yn llwytho ei sgriptiau o CDN, felly mae angen mynediad i\u2019r rhyngrwyd arno (nid oes ei angen ar y dudalen hon).',

      partnersHeading: 'Partneriaid',
      partnersIntro: '{count} o lyfrgelloedd partner ar draws pedair gwlad y DU.',
      partnersNone: 'Dim partneriaid yn y wlad hon eto.',
      audienceOf: 'Cyrhaeddiad cynulleidfa: {n}',
      websiteOf: '{name} (gwefan)',

      figuresHeading: 'Ffigurau\u2019r rhwydwaith',
      figPartners: 'Partneriaid',
      figNations: 'Gwledydd',
      figAudience: 'Cynulleidfa gyfunol, hyd y gwyddys',
      figAudienceKnown_one: 'Yn hysbys ar gyfer {n} partner;',
      figAudienceKnown_other: 'Yn hysbys ar gyfer {n} o bartneriaid;',
      figAudienceUnknown: 'heb fod yn hysbys ar gyfer {n}.',
      figAudienceNoneKnown: 'Nid oes yr un partner wedi rhoi ffigur cynulleidfa eto.',
      figAudienceReported: 'Yn \u00f4l y rhwydwaith: {total}',
      figThreads: 'Edafedd',
      figAnswered: 'Cwestiynau wedi\u2019u hateb',
      figMedianReply: 'Amser canolrif hyd at yr ateb cyntaf',
      figActiveCollabs: 'Cydweithrediadau gweithredol',
      figTopTags: 'Tagiau prysuraf',
      figTagCount_other: '{tag} ({n} edefyn)',
      hours_other: '{n} awr',
      notKnown: 'Ddim yn hysbys eto',

      threadsHeading: 'Edafedd diweddaraf',
      threadsNone: 'Dim edafedd cyhoeddus eto.',
      threadsCount: 'Y {shown} diweddaraf o {total} o edafedd cyhoeddus.',
      byAuthor: 'gan {author}',
      ofPartner: '{partner}',
      postedOn: 'Postiwyd {date}',
      replyCount_other: '{n} ateb',
      tagsLabel: 'Tagiau',
      unknownAuthor: 'cyn-aelod',

      threadNotFound: 'Ni chafwyd hyd i\u2019r edefyn hwn, neu nid yw\u2019n gyhoeddus.',
      repliesHeading: 'Atebion',
      repliesNone: 'Dim atebion eto.',
      repliesShown: 'Yn dangos {shown} o {total} o atebion.',
      acceptedAnswer: 'Ateb derbyniol',
      threadLanguage: 'Iaith: {language}',
      threadStatus: 'Statws: {status}',

      searchHeading: 'Canlyniadau chwilio',
      searchFor: 'Edafedd sy\u2019n cyfateb i \u201c{q}\u201d, y gorau yn gyntaf',
      searchNone: 'Nid oes edefyn cyhoeddus yn cyfateb i \u201c{q}\u201d.',
      searchCount_other: 'Cafwyd hyd i {n} edefyn.',

      collaborationsHeading: 'Cydweithrediadau',
      collaborationsNone: 'Dim cydweithrediadau cyhoeddus eto.',
      leadPartner: 'Partner arweiniol: {name}',
      participants: 'Cyfranogwyr',
      combinedReach: 'Cyrhaeddiad cyfunol: {n}',
      combinedReachDetail: '(yn hysbys ar gyfer {known} o {all} o bartneriaid)',
      funder: 'Cyllidwr: {funder}',
      dates: 'Dyddiadau: {range}',
      dateRange: '{from} hyd at {to}',
      dateFrom: 'o {from}',
      dateUntil: 'hyd at {to}',

      months: ['Ionawr', 'Chwefror', 'Mawrth', 'Ebrill', 'Mai', 'Mehefin', 'Gorffennaf', 'Awst', 'Medi', 'Hydref',
        'Tachwedd', 'Rhagfyr'],
      nation: {
        ENGLAND: 'Lloegr', SCOTLAND: 'Yr Alban', WALES: 'Cymru', NORTHERN_IRELAND: 'Gogledd Iwerddon',
      },
      partnerKind: {
        NATIONAL_LIBRARY: 'Llyfrgell genedlaethol', LOCAL_AUTHORITY: 'Awdurdod lleol',
        LIBRARY_TRUST: 'Ymddiriedolaeth llyfrgelloedd', PUBLIC_BODY: 'Corff cyhoeddus',
        INDEPENDENT_LIBRARY: 'Llyfrgell annibynnol',
      },
      threadKind: { QUESTION: 'Cwestiwn', IDEA: 'Syniad', RESOURCE: 'Adnodd' },
      threadStatus: { OPEN: 'Agored', ANSWERED: 'Wedi\u2019i ateb', CLOSED: 'Ar gau' },
      threadLanguageName: { EN: 'Saesneg', CY: 'Cymraeg', GD: 'Gaeleg yr Alban', GA: 'Gwyddeleg' },
      collaborationKind: {
        PROGRAMME: 'Rhaglen', ACTIVITY: 'Gweithgaredd', EXHIBITION: 'Arddangosfa', SHARED_CONTENT: 'Cynnwys a rennir',
        FUNDING_APPLICATION: 'Cais am gyllid', EVIDENCE_GATHERING: 'Casglu tystiolaeth',
      },
      collaborationStatus: {
        PROPOSED: 'Arfaethedig', SEEKING_PARTNERS: 'Yn chwilio am bartneriaid', ACTIVE: 'Gweithredol',
        COMPLETED: 'Wedi\u2019i gwblhau', WITHDRAWN: 'Wedi\u2019i dynnu\u2019n \u00f4l',
      },
      role: { LEAD: 'Arweinydd', PARTNER: 'Partner', SUPPORTER: 'Cefnogwr' },
      joinStatus: { REQUESTED: 'Wedi gofyn am ymuno', ACCEPTED: 'Wedi ymuno', DECLINED: 'Wedi gwrthod' },

      membersScope: 'Rydych wedi mewngofnodi, felly mae\u2019r dudalen hon hefyd yn dangos yr hyn y mae\u2019r rhwydwaith yn ei rannu \u00e2\u2019i aelodau yn unig.',
      accountLabel: 'Eich cyfrif',
      signInLink: 'Mewngofnodi',
      signOutButton: 'Allgofnodi',
      signedInAs: 'Wedi mewngofnodi fel {name}',
      newThreadLink: 'Gofyn neu rannu',
      profileLink: 'Eich proffil',
      working: 'Wrthi\u2019n anfon\u2026',
      actionFailed: 'Ni weithiodd hynny: {message}',
      userErrorsHeading: 'Gwiriwch hyn:',
      fieldNames: {
        email: 'Cyfeiriad e-bost', code: 'Cod', displayName: 'Enw', title: 'Teitl', body: 'Testun', tags: 'Tagiau',
        bio: 'Amdanoch chi', languages: 'Ieithoedd', expertise: 'Arbenigedd', preferredLanguage: 'Iaith e-byst',
      },

      signInHeading: 'Mewngofnodi',
      signInIntro: 'Mae aelodau\u2019r rhwydwaith yn mewngofnodi gyda\u2019u cyfeiriad e-bost gwaith. Rydym yn anfon cod atoch: nid oes cyfrinair.',
      emailLabel: 'Eich cyfeiriad e-bost',
      sendCode: 'Anfon cod ataf',
      checkEmailHeading: 'Edrychwch ar eich e-bost',
      checkEmail: 'Os yw {email} yn gyfeiriad aelod o\u2019r rhwydwaith, mae neges gyda chod mewngofnodi ar ei ffordd. Gall gymryd munud.',
      codeLabel: 'Y cod o\u2019r e-bost',
      codeHint: 'Chwe llythyren a digid, fel y mae\u2019r e-bost yn eu dangos.',
      completeSignIn: 'Mewngofnodi',
      otherEmail: 'Defnyddio cyfeiriad e-bost arall, neu anfon cod newydd',
      signingIn: 'Wrthi\u2019n eich mewngofnodi\u2026',
      signedIn: 'Rydych wedi mewngofnodi fel {name}.',
      signedOut: 'Rydych wedi allgofnodi.',
      sessionEnded: 'Mae eich sesiwn wedi dod i ben: cafodd ei hallgofnodi yn rhywle arall, neu ni chafodd ei defnyddio am 30 diwrnod. Mewngofnodwch eto i barhau.',
      codeMissing: 'Rhowch y cod o\u2019r e-bost.',
      emailMissing: 'Rhowch eich cyfeiriad e-bost.',
      signInToAct: 'Mewngofnodwch i ateb, cymeradwyo neu ddilyn yr edefyn hwn.',
      signInToPost: 'Mewngofnodwch i ofyn cwestiwn i\u2019r rhwydwaith neu rannu syniad neu adnodd.',
      signInToEditProfile: 'Mewngofnodwch i olygu eich proffil.',

      joinHeading: 'Ymuno \u00e2\u2019r rhwydwaith',
      joinIntro: 'Rydych wedi cael gwahoddiad i ymuno \u00e2\u2019r Rhwydwaith Gwybodaeth Fyw. Dewiswch yr enw i\u2019w ddangos ar eich negeseuon, yna ymunwch: byddwch wedi mewngofnodi ar unwaith.',
      joinCodeLabel: 'Cod gwahoddiad',
      displayNameLabel: 'Eich enw, fel y\u2019i dangosir ar eich negeseuon',
      displayNameHint: 'Gadewch yn wag i gadw\u2019r enw a roddodd eich gwahoddiad.',
      joinButton: 'Ymuno \u00e2\u2019r rhwydwaith',
      joined: 'Croeso i\u2019r rhwydwaith, {name}. Rydych wedi mewngofnodi.',

      newHeading: 'Gofyn cwestiwn neu rannu',
      kindLegend: 'Beth ydych chi\u2019n ei bostio?',
      kindChoice: { QUESTION: 'Cwestiwn i gydweithwyr', IDEA: 'Syniad i\u2019w ddatblygu gyda\u2019n gilydd', RESOURCE: 'Adnodd i\u2019w rannu' },
      titleLabel: 'Teitl',
      titleHint: 'Un llinell, hyd at 200 nod.',
      bodyLabel: 'Manylion',
      bodyHint: 'Dewisol. Testun plaen; cedwir Markdown.',
      tagsInputLabel: 'Tagiau',
      tagsHint: 'Hyd at bump, wedi\u2019u gwahanu gan atalnodau, er enghraifft: storytime, local-history',
      languageLabel: 'Iaith y neges',
      visibilityLegend: 'Pwy sy\u2019n gallu ei weld',
      visibilityChoice: { NETWORK: 'Aelodau\u2019r rhwydwaith yn unig', PUBLIC: 'Pawb: mae\u2019n gyhoeddus' },
      postButton: 'Postio',
      similarHeading: 'Edafedd tebyg sydd eisoes yn y rhwydwaith',
      similarIntro: 'Efallai fod rhywun wedi gofyn hyn eisoes: cymerwch olwg cyn postio.',
      similarNone: 'Dim edafedd tebyg.',
      posted: 'Mae eich edefyn wedi\u2019i bostio.',
      networkOnly: 'Aelodau yn unig',

      actionsLabel: 'Beth allwch chi ei wneud',
      endorseButton: 'Cymeradwyo',
      endorsed: 'Rydych yn cymeradwyo\u2019r edefyn hwn.',
      endorsementCount_other: '{n} cymeradwyaeth',
      followButton: 'Dilyn',
      unfollowButton: 'Peidio \u00e2 dilyn',
      following: 'Rydych yn dilyn yr edefyn hwn: byddwch yn clywed am ei atebion newydd.',
      unfollowed: 'Nid ydych yn dilyn yr edefyn hwn mwyach.',
      acceptButton: 'Derbyn fel yr ateb',
      answerAccepted: 'Mae\u2019r ateb wedi\u2019i dderbyn.',
      replyHeading: 'Eich ateb',
      replyLabel: 'Ateb',
      replyButton: 'Postio ateb',
      replyPosted: 'Mae eich ateb wedi\u2019i bostio.',
      replyMissing: 'Ysgrifennwch eich ateb yn gyntaf.',
      threadClosed: 'Mae\u2019r edefyn hwn ar gau i atebion.',

      profileHeading: 'Eich proffil',
      profileIntro: 'Mae cydweithwyr yn gweld eich enw, yr hyn rydych yn ei ysgrifennu amdanoch eich hun a\u2019ch arbenigedd pan fyddant yn chwilio am rywun sy\u2019n gwybod.',
      bioLabel: 'Amdanoch chi',
      bioHint: 'Ychydig linellau: eich gwaith, a\u2019r hyn y gall cydweithwyr ofyn i chi amdano.',
      languagesLegend: 'Ieithoedd rydych chi\u2019n gweithio ynddynt',
      preferredLanguageLabel: 'Iaith e-byst gan y rhwydwaith',
      expertiseLabel: 'Arbenigedd',
      expertiseHint: 'Pynciau, wedi\u2019u gwahanu gan atalnodau, er enghraifft: storytime, family-history',
      saveProfile: 'Cadw\u2019r proffil',
      profileSaved: 'Mae eich proffil wedi\u2019i gadw.',
    },
  };

  const LANGS = ['en', 'cy'];
  const LOCALES = { en: 'en-GB', cy: 'cy-GB' };
  const NATIONS = ['ENGLAND', 'SCOTLAND', 'WALES', 'NORTHERN_IRELAND'];
  const STORAGE_KEY = 'lkn.explorer.lang';

  let lang = initialLanguage();

  function initialLanguage() {
    try {
      const saved = window.localStorage.getItem(STORAGE_KEY);
      if (LANGS.includes(saved)) return saved;
    } catch (_) { /* storage may be unavailable */ }
    return 'en';
  }

  /** A string from the catalogue, with {name} placeholders filled in. Falls back to English. */
  function t(key, vars) {
    let s = CATALOGUE[lang][key];
    if (s === undefined) s = CATALOGUE.en[key];
    if (s === undefined) return key;
    return fill(s, vars);
  }

  /** A count-dependent string: looks for key_<plural category>, then key_other. */
  function tn(key, n, vars) {
    const cat = new Intl.PluralRules(LOCALES[lang]).select(n);
    const table = CATALOGUE[lang];
    const s = table[`${key}_${cat}`] ?? table[`${key}_other`] ?? CATALOGUE.en[`${key}_other`] ?? key;
    return fill(s, Object.assign({ n: formatNumber(n) }, vars));
  }

  /** A label for an enum value (nation, kind, status...). Unknown values are shown as they are. */
  function label(group, value) {
    if (value === null || value === undefined) return '';
    const own = CATALOGUE[lang][group];
    const en = CATALOGUE.en[group];
    return (own && own[value]) || (en && en[value]) || String(value);
  }

  function fill(s, vars) {
    if (!vars) return s;
    return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }

  function formatNumber(n) {
    return new Intl.NumberFormat(LOCALES[lang]).format(n);
  }

  function formatPercent(x) {
    return new Intl.NumberFormat(LOCALES[lang], { style: 'percent', maximumFractionDigits: 0 }).format(x);
  }

  /**
   * "28 November 2026" / "28 Tachwedd 2026". Month names come from the catalogue, since browsers do not all
   * carry Welsh date names. Plain dates (YYYY-MM-DD) are calendar dates and are shown as they are; timestamps
   * are shown in the reader's own time zone.
   */
  function formatDate(value) {
    if (!value) return '';
    const months = CATALOGUE[lang].months || CATALOGUE.en.months;
    const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (plain) {
      const month = months[Number(plain[2]) - 1];
      return month ? `${Number(plain[3])} ${month} ${plain[1]}` : String(value);
    }
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    return `${d.getDate()} ${months[d.getMonth()]} ${d.getFullYear()}`;
  }

  // ---------------------------------------------------------------------------------------------
  // The API
  // ---------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(kind, detail) {
      super(detail || kind);
      this.kind = kind; // 'network' | 'http' | 'bad' | 'graphql'
      this.detail = detail;
    }
  }

  async function graphql(query, variables) {
    let res;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables: variables || {} }),
      });
    } catch (e) {
      throw new ApiError('network');
    }
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      const messages = body.errors.map((e) => {
        const code = e && e.extensions && e.extensions.code;
        return code ? `${e.message} (${code})` : String(e && e.message);
      });
      throw new ApiError('graphql', messages.join('; '));
    }
    if (!res.ok) throw new ApiError('http', String(res.status));
    if (!body || typeof body !== 'object' || !body.data) throw new ApiError('bad');
    return body.data;
  }

  function errorText(err) {
    let message;
    if (err instanceof ApiError) {
      if (err.kind === 'network') message = t('errorNetwork');
      else if (err.kind === 'http') message = t('errorHttp', { status: err.detail });
      else if (err.kind === 'graphql') message = err.detail;
      else message = t('errorBadResponse');
    } else {
      message = t('errorBadResponse');
      console.error(err); // eslint-disable-line no-console
    }
    return t('errorLoading', { message });
  }

  const THREAD_SUMMARY_FIELDS = `
    id kind title language status createdAt replyCount endorsementCount tags
    author { id displayName }
    partner { id slug name }
  `;

  async function fetchPartners() {
    const query = `query ExplorerPartners($first: Int!, $after: String) {
      partners(first: $first, after: $after) {
        totalCount
        nodes { id slug name kind nation city website audienceReach }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const all = [];
    let after = null;
    let totalCount = 0;
    // The API caps a page at 100; follow the cursor for as long as there are more (bounded).
    for (let page = 0; page < 20; page += 1) {
      const data = await graphql(query, { first: 100, after });
      const conn = data.partners;
      totalCount = conn.totalCount;
      all.push(...conn.nodes);
      if (!conn.pageInfo || !conn.pageInfo.hasNextPage || !conn.pageInfo.endCursor) break;
      after = conn.pageInfo.endCursor;
    }
    return { totalCount, nodes: all };
  }

  async function fetchStats() {
    const data = await graphql(`query ExplorerStats {
      networkStats {
        partnerCount
        partnersByNation { nation count }
        combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount reportedTotal reportedSource }
        threadCount
        answeredRate
        medianHoursToFirstReply
        activeCollaborationCount
        topTags { name threadCount }
      }
    }`);
    return data.networkStats;
  }

  async function fetchNewestThreads() {
    const data = await graphql(`query ExplorerNewestThreads($first: Int!) {
      threads(first: $first, orderBy: NEWEST) {
        totalCount
        nodes { ${THREAD_SUMMARY_FIELDS} }
      }
    }`, { first: 20 });
    return data.threads;
  }

  async function fetchCollaborations() {
    const data = await graphql(`query ExplorerCollaborations($first: Int!) {
      collaborations(first: $first) {
        totalCount
        nodes {
          id kind title summary status startsOn endsOn funder
          leadPartner { name slug }
          participants { partner { name slug } role joinStatus }
          combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount }
        }
      }
    }`, { first: 50 });
    return data.collaborations;
  }

  async function fetchThread(id) {
    const data = await graphql(`query ExplorerThread($id: ID!) {
      thread(id: $id) {
        ${THREAD_SUMMARY_FIELDS}
        body visibility
        acceptedReply { id }
        replies(first: 100) {
          totalCount
          nodes { id body isAccepted createdAt author { displayName partner { name } } }
        }
      }
    }`, { id });
    return data.thread;
  }

  /**
   * Searches public threads for `q`. Returns { totalCount, nodes } where nodes are thread summaries.
   * For now a case-insensitive title filter; switch to the full-text `search` query here alone.
   */
  async function searchThreads(q) {
    // Full-text search (titles, bodies, tags and replies), best matches first.
    const data = await graphql(`query ExplorerSearchThreads($q: String!) {
      search(query: $q, first: 20, filter: { scope: THREADS }) {
        totalCount
        edges { node { ... on Thread { ${THREAD_SUMMARY_FIELDS} } } }
      }
    }`, { q });
    return { totalCount: data.search.totalCount, nodes: data.search.edges.map((edge) => edge.node) };
  }

  // ---------------------------------------------------------------------------------------------
  // Loading state: each piece of data is loaded once and kept, so a language switch only re-renders.
  // ---------------------------------------------------------------------------------------------

  const cache = new Map(); // key -> { status: 'loading'|'ok'|'error', data, error, promise }

  function load(key, fetcher, force) {
    const existing = cache.get(key);
    if (existing && !force) return existing;
    const entry = { status: 'loading', data: null, error: null, promise: null };
    cache.set(key, entry);
    entry.promise = fetcher().then(
      (data) => { entry.status = 'ok'; entry.data = data; },
      (err) => { entry.status = 'error'; entry.error = err; },
    ).then(() => {
      if (cache.get(key) === entry) onLoaded();
    });
    return entry;
  }

  let pendingRender = false;
  function onLoaded() {
    if (pendingRender) return;
    pendingRender = true;
    window.requestAnimationFrame(() => {
      pendingRender = false;
      render({ keepFocus: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers (textContent only)
  // ---------------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === 'class') node.className = value;
        else if (name === 'text') node.textContent = value;
        else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeHttpUrl(value) {
    if (!value) return null;
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function timeEl(value) {
    return el('time', { datetime: value }, formatDate(value));
  }

  function loadingBlock() {
    return el('p', { class: 'notice notice--loading' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), t('loading'));
  }

  function errorBlock(err, onRetry) {
    return el('div', { class: 'notice notice--error', role: 'alert' },
      el('p', null, errorText(err)),
      onRetry ? el('button', { type: 'button', class: 'button', onclick: onRetry }, t('retry')) : null);
  }

  /** Renders a cache entry: loading, error (with retry) or the content built by `build`. */
  function entryView(entry, retry, build) {
    if (entry.status === 'loading') return loadingBlock();
    if (entry.status === 'error') return errorBlock(entry.error, retry);
    return build(entry.data);
  }

  function section(id, headingKey, ...content) {
    const headingId = `${id}-heading`;
    return el('section', { id, class: 'panel', 'aria-labelledby': headingId },
      el('h2', { id: headingId, tabindex: '-1' }, t(headingKey)),
      ...content);
  }

  function badge(text, variant) {
    return el('span', { class: `badge${variant ? ` badge--${variant}` : ''}` }, text);
  }

  // ---------------------------------------------------------------------------------------------
  // Views
  // ---------------------------------------------------------------------------------------------

  function partnersView() {
    const entry = load('partners', fetchPartners);
    return section('partners', 'partnersHeading',
      entryView(entry, () => { load('partners', fetchPartners, true); render({ keepFocus: true }); }, (data) => {
        const groups = el('div', { class: 'nation-groups' });
        for (const nation of NATIONS) {
          const partners = data.nodes
            .filter((p) => p.nation === nation)
            .sort((a, b) => a.name.localeCompare(b.name, LOCALES[lang]));
          const headingId = `nation-${nation.toLowerCase()}`;
          groups.append(el('section', { class: 'nation-group', 'aria-labelledby': headingId, 'data-nation': nation },
            el('h3', { id: headingId }, label('nation', nation), ' ', el('span', { class: 'count' }, `(${formatNumber(partners.length)})`)),
            partners.length === 0
              ? el('p', { class: 'muted' }, t('partnersNone'))
              : el('ul', { class: 'partner-list' }, partners.map(partnerItem))));
        }
        // Anything with a nation this page does not know of still gets shown.
        const others = data.nodes.filter((p) => !NATIONS.includes(p.nation));
        if (others.length > 0) {
          groups.append(el('section', { class: 'nation-group', 'aria-label': '?' },
            el('ul', { class: 'partner-list' }, others.map(partnerItem))));
        }
        return [el('p', { class: 'lead' }, t('partnersIntro', { count: formatNumber(data.totalCount) })), groups];
      }));
  }

  function partnerItem(p) {
    const href = safeHttpUrl(p.website);
    const name = href
      ? el('a', { href, rel: 'noopener noreferrer', class: 'partner-name' }, p.name)
      : el('span', { class: 'partner-name' }, p.name);
    const details = [label('partnerKind', p.kind), p.city].filter(Boolean).join(' \u00b7 ');
    return el('li', { class: 'partner', 'data-slug': p.slug },
      name,
      el('span', { class: 'partner-meta' }, details),
      p.audienceReach !== null && p.audienceReach !== undefined
        ? el('span', { class: 'partner-meta' }, t('audienceOf', { n: formatNumber(p.audienceReach) }))
        : null);
  }

  function figuresView() {
    const entry = load('stats', fetchStats);
    return section('figures', 'figuresHeading',
      entryView(entry, () => { load('stats', fetchStats, true); render({ keepFocus: true }); }, (s) => {
        const nationsWithPartners = (s.partnersByNation || []).filter((n) => n.count > 0);
        const byNation = el('ul', { class: 'inline-list' },
          NATIONS.map((code) => {
            const row = (s.partnersByNation || []).find((n) => n.nation === code);
            return row ? el('li', null, `${label('nation', code)}: ${formatNumber(row.count)}`) : null;
          }));
        const reach = s.combinedAudienceReach || {};
        const audienceDetail = [
          reach.knownPartnerCount > 0
            ? el('p', { class: 'figure-note' },
              tn('figAudienceKnown', reach.knownPartnerCount), ' ',
              t('figAudienceUnknown', { n: formatNumber(reach.unknownPartnerCount ?? 0) }))
            : el('p', { class: 'figure-note' }, t('figAudienceNoneKnown')),
        ];
        if (reach.reportedTotal !== null && reach.reportedTotal !== undefined) {
          const reported = t('figAudienceReported', { total: formatNumber(reach.reportedTotal) });
          audienceDetail.push(el('p', { class: 'figure-note' }, reported,
            reach.reportedSource ? el('span', { class: 'source' }, ` (${reach.reportedSource})`) : null));
        }
        const unknownText = t('notKnown');
        const figure = (key, value, ...notes) => el('div', { class: `figure figure--${key}` },
          el('dt', null, t(key)),
          el('dd', null,
            el('span', { class: `figure-value${value === unknownText ? ' figure-value--unknown' : ''}` }, value),
            ...notes));
        const known = (v, f) => (v === null || v === undefined ? unknownText : f(v));
        const tags = (s.topTags || []).slice(0, 10);
        return [
          el('dl', { class: 'figures' },
            figure('figPartners', formatNumber(s.partnerCount)),
            figure('figNations', formatNumber(nationsWithPartners.length), byNation),
            figure('figAudience', reach.knownPartnerCount > 0 ? formatNumber(reach.knownTotal) : t('notKnown'),
              ...audienceDetail),
            figure('figThreads', formatNumber(s.threadCount)),
            figure('figAnswered', known(s.answeredRate, formatPercent)),
            figure('figMedianReply', known(s.medianHoursToFirstReply,
              (h) => tn('hours', Math.round(h * 10) / 10))),
            figure('figActiveCollabs', formatNumber(s.activeCollaborationCount))),
          tags.length > 0
            ? el('div', { class: 'top-tags' },
              el('h3', null, t('figTopTags')),
              el('ul', { class: 'tag-list' }, tags.map((tag) =>
                el('li', { class: 'tag' }, tn('figTagCount', tag.threadCount, { tag: tag.name })))))
            : null,
        ];
      }));
  }

  function threadItem(th) {
    const author = th.author && th.author.displayName ? th.author.displayName : t('unknownAuthor');
    const meta = el('p', { class: 'thread-meta' },
      badge(label('threadKind', th.kind), `kind-${String(th.kind).toLowerCase()}`),
      th.status ? badge(label('threadStatus', th.status), `status-${String(th.status).toLowerCase()}`) : null,
      el('span', null, t('byAuthor', { author })),
      th.partner ? el('span', null, t('ofPartner', { partner: th.partner.name })) : null,
      el('span', null, timeEl(th.createdAt)),
      el('span', null, tn('replyCount', th.replyCount ?? 0)));
    const tags = Array.isArray(th.tags) && th.tags.length > 0
      ? el('ul', { class: 'tag-list', 'aria-label': t('tagsLabel') }, th.tags.map((tag) => el('li', { class: 'tag' }, tag)))
      : null;
    return el('li', { class: 'thread-item', 'data-thread-id': th.id },
      el('h3', { class: 'thread-title' }, el('a', { href: `#/thread/${encodeURIComponent(th.id)}` }, th.title)),
      meta, tags);
  }

  function threadsView() {
    const entry = load('threads', fetchNewestThreads);
    return section('threads', 'threadsHeading',
      entryView(entry, () => { load('threads', fetchNewestThreads, true); render({ keepFocus: true }); }, (conn) => {
        if (conn.nodes.length === 0) return el('p', { class: 'muted' }, t('threadsNone'));
        return [
          el('p', { class: 'lead' }, t('threadsCount', {
            shown: formatNumber(conn.nodes.length), total: formatNumber(conn.totalCount),
          })),
          el('ol', { class: 'thread-list', id: 'newest-threads' }, conn.nodes.map(threadItem)),
        ];
      }));
  }

  function collaborationItem(c) {
    const reach = c.combinedAudienceReach || {};
    const all = (reach.knownPartnerCount ?? 0) + (reach.unknownPartnerCount ?? 0);
    let range = null;
    if (c.startsOn && c.endsOn) range = t('dateRange', { from: formatDate(c.startsOn), to: formatDate(c.endsOn) });
    else if (c.startsOn) range = t('dateFrom', { from: formatDate(c.startsOn) });
    else if (c.endsOn) range = t('dateUntil', { to: formatDate(c.endsOn) });
    const participants = (c.participants || []).map((p) =>
      el('li', { class: `participant participant--${String(p.joinStatus).toLowerCase()}` },
        el('span', { class: 'participant-name' }, p.partner ? p.partner.name : '?'),
        ' ',
        el('span', { class: 'muted' }, `(${[label('role', p.role), label('joinStatus', p.joinStatus)].join(', ')})`)));
    return el('li', { class: 'collab-item' },
      el('h3', { class: 'collab-title' }, c.title),
      el('p', { class: 'thread-meta' },
        badge(label('collaborationKind', c.kind), 'collab-kind'),
        badge(label('collaborationStatus', c.status), `collab-${String(c.status).toLowerCase()}`),
        c.leadPartner ? el('span', null, t('leadPartner', { name: c.leadPartner.name })) : null),
      c.summary ? el('div', { class: 'body-text collab-summary' }, c.summary) : null,
      el('p', { class: 'collab-reach' },
        t('combinedReach', { n: reach.knownPartnerCount > 0 ? formatNumber(reach.knownTotal) : t('notKnown') }),
        reach.knownPartnerCount > 0
          ? el('span', { class: 'muted' }, ' ', t('combinedReachDetail', {
            known: formatNumber(reach.knownPartnerCount), all: formatNumber(all),
          }))
          : null),
      (c.funder || range)
        ? el('p', { class: 'thread-meta' },
          c.funder ? el('span', null, t('funder', { funder: c.funder })) : null,
          range ? el('span', null, t('dates', { range })) : null)
        : null,
      participants.length > 0
        ? el('div', { class: 'participants' },
          el('h4', { class: 'participants-heading' }, t('participants')),
          el('ul', { class: 'participant-list' }, participants))
        : null);
  }

  function collaborationsView() {
    const entry = load('collaborations', fetchCollaborations);
    return section('collaborations', 'collaborationsHeading',
      entryView(entry, () => { load('collaborations', fetchCollaborations, true); render({ keepFocus: true }); }, (conn) => {
        if (conn.nodes.length === 0) return el('p', { class: 'muted' }, t('collaborationsNone'));
        return el('ul', { class: 'collab-list' }, conn.nodes.map(collaborationItem));
      }));
  }

  function overviewView() {
    return [figuresView(), threadsView(), partnersView(), collaborationsView()];
  }

  function backLink() {
    return el('p', { class: 'back' }, el('a', { href: '#/' }, `\u2190 ${t('backToOverview')}`));
  }

  function threadView(id) {
    const key = `thread:${id}`;
    const fetcher = () => fetchThread(id);
    const entry = load(key, fetcher);
    const article = entryView(entry, () => { load(key, fetcher, true); render({ keepFocus: true }); }, (th) => {
      if (!th) {
        return el('div', { class: 'notice' }, el('h2', { id: 'view-heading', tabindex: '-1' }, t('threadNotFound')));
      }
      document.title = `${th.title} \u2014 ${t('siteTitle')}`;
      const acceptedId = th.acceptedReply ? th.acceptedReply.id : null;
      const replies = th.replies || { totalCount: 0, nodes: [] };
      const replyItems = replies.nodes.map((r) => {
        const accepted = r.isAccepted || r.id === acceptedId;
        const who = r.author ? r.author.displayName : t('unknownAuthor');
        const where = r.author && r.author.partner ? r.author.partner.name : null;
        return el('li', { class: `reply${accepted ? ' reply--accepted' : ''}`, 'data-accepted': accepted ? 'true' : null },
          accepted ? el('p', { class: 'accepted-label' }, el('span', { 'aria-hidden': 'true' }, '\u2713 '), t('acceptedAnswer')) : null,
          el('p', { class: 'thread-meta' },
            el('span', null, [who, where].filter(Boolean).join(', ')),
            el('span', null, timeEl(r.createdAt))),
          el('div', { class: 'body-text' }, r.body));
      });
      const threadLang = th.language ? String(th.language).toLowerCase() : null;
      return el('article', { class: 'thread', 'data-thread-id': th.id },
        el('h2', { id: 'view-heading', tabindex: '-1', class: 'thread-heading', lang: threadLang }, th.title),
        el('p', { class: 'thread-meta' },
          badge(label('threadKind', th.kind), `kind-${String(th.kind).toLowerCase()}`),
          th.status ? badge(label('threadStatus', th.status), `status-${String(th.status).toLowerCase()}`) : null,
          el('span', null, t('byAuthor', { author: th.author ? th.author.displayName : t('unknownAuthor') })),
          th.partner ? el('span', null, th.partner.name) : null,
          el('span', null, t('postedOn', { date: formatDate(th.createdAt) })),
          th.language ? el('span', null, t('threadLanguage', { language: label('threadLanguageName', th.language) })) : null),
        Array.isArray(th.tags) && th.tags.length > 0
          ? el('ul', { class: 'tag-list', 'aria-label': t('tagsLabel') }, th.tags.map((tag) => el('li', { class: 'tag' }, tag)))
          : null,
        el('div', { class: 'body-text thread-body', lang: threadLang }, th.body || ''),
        el('section', { class: 'replies', id: 'replies', 'aria-labelledby': 'replies-heading' },
          el('h3', { id: 'replies-heading' }, `${t('repliesHeading')} (${formatNumber(replies.totalCount)})`),
          replyItems.length === 0
            ? el('p', { class: 'muted' }, t('repliesNone'))
            : el('ol', { class: 'reply-list' }, replyItems),
          replies.totalCount > replyItems.length
            ? el('p', { class: 'muted' }, t('repliesShown', {
              shown: formatNumber(replyItems.length), total: formatNumber(replies.totalCount),
            }))
            : null));
    });
    return el('div', { class: 'panel view' }, backLink(), article);
  }

  function searchView(q) {
    const key = `search:${q}`;
    const fetcher = () => searchThreads(q);
    const entry = load(key, fetcher);
    return el('section', { class: 'panel view', id: 'search-results', 'aria-labelledby': 'view-heading' },
      backLink(),
      el('h2', { id: 'view-heading', tabindex: '-1' }, t('searchHeading')),
      el('p', { class: 'lead' }, t('searchFor', { q })),
      entryView(entry, () => { load(key, fetcher, true); render({ keepFocus: true }); }, (conn) => {
        if (conn.nodes.length === 0) return el('p', { class: 'muted' }, t('searchNone', { q }));
        return [
          el('p', null, tn('searchCount', conn.totalCount)),
          el('ol', { class: 'thread-list' }, conn.nodes.map(threadItem)),
        ];
      }));
  }

  // ---------------------------------------------------------------------------------------------
  // Routing: #/ (overview), #/partners etc. (overview, scrolled), #/thread/<id>, #/search?q=<text>
  // ---------------------------------------------------------------------------------------------

  const SECTIONS = ['partners', 'figures', 'threads', 'collaborations'];

  function parseRoute() {
    const hash = window.location.hash || '#/';
    if (!hash.startsWith('#/')) return null; // an in-page anchor (e.g. the skip link): not a route
    const path = hash.slice(2);
    let m = /^thread\/(.+)$/.exec(path);
    if (m) return { name: 'thread', id: safeDecode(m[1]) };
    m = /^search\?q=(.*)$/.exec(path);
    if (m) return { name: 'search', q: safeDecode(m[1].replace(/\+/g, ' ')).trim() };
    if (SECTIONS.includes(path)) return { name: 'overview', section: path };
    return { name: 'overview', section: null };
  }

  function safeDecode(s) {
    try { return decodeURIComponent(s); } catch (_) { return s; }
  }

  let currentRoute = { name: 'overview', section: null };

  function render(opts) {
    const keepFocus = opts && opts.keepFocus;
    const main = document.getElementById('main');
    applyChrome();
    document.title = t('pageTitle');
    const route = currentRoute;
    let content;
    if (route.name === 'thread') content = threadView(route.id);
    else if (route.name === 'search' && route.q) content = searchView(route.q);
    else content = overviewView();

    // Keep the focused element's identity where possible when only data arrives (re-render).
    const focusedId = keepFocus && document.activeElement && main.contains(document.activeElement)
      ? document.activeElement.id : null;
    const scrollY = window.scrollY;
    main.replaceChildren(...[].concat(content));
    if (keepFocus) {
      window.scrollTo(0, scrollY);
      if (focusedId) {
        const again = document.getElementById(focusedId);
        if (again) again.focus({ preventScroll: true });
      }
    }
    const loading = announce();
    // Sections above the one asked for (#/partners...) grow as their data arrives: keep it in view until then.
    if (scrollToSection && route.name === 'overview' && route.section === scrollToSection) {
      const heading = document.getElementById(`${scrollToSection}-heading`);
      if (heading) heading.scrollIntoView({ block: 'start' });
      if (!loading) scrollToSection = null;
    }
  }

  let scrollToSection = null;
  window.addEventListener('wheel', () => { scrollToSection = null; }, { passive: true });
  window.addEventListener('touchmove', () => { scrollToSection = null; }, { passive: true });
  window.addEventListener('keydown', () => { scrollToSection = null; });

  function announce() {
    const status = document.getElementById('status');
    const loading = [...cache.values()].some((e) => e.status === 'loading');
    status.textContent = loading ? t('loading') : t('loaded');
    return loading;
  }

  function navigate(isFirst) {
    const route = parseRoute();
    if (!route) return;
    currentRoute = route;
    const input = document.getElementById('search-input');
    input.value = route.name === 'search' ? route.q : '';
    // A new visit to a view tries again what failed before; a mere re-render never does.
    for (const [key, entry] of cache) if (entry.status === 'error') cache.delete(key);
    scrollToSection = route.name === 'overview' ? route.section : null;
    render();
    if (route.name === 'overview' && route.section) {
      const heading = document.getElementById(`${route.section}-heading`);
      if (heading) {
        heading.scrollIntoView({ block: 'start' });
        heading.focus({ preventScroll: true });
      }
    } else if (route.name !== 'overview') {
      window.scrollTo(0, 0);
      const heading = document.getElementById('view-heading');
      if (heading) heading.focus({ preventScroll: true });
      else if (!isFirst) document.getElementById('main').focus({ preventScroll: true });
    } else if (!isFirst) {
      window.scrollTo(0, 0);
      document.getElementById('main').focus({ preventScroll: true });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Page chrome and language
  // ---------------------------------------------------------------------------------------------

  function applyChrome() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll('[data-i18n]')) {
      node.textContent = t(node.getAttribute('data-i18n'));
    }
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.setAttribute('placeholder', t(node.getAttribute('data-i18n-placeholder')));
    }
    for (const button of document.querySelectorAll('.lang-button')) {
      button.setAttribute('aria-pressed', button.getAttribute('data-lang') === lang ? 'true' : 'false');
    }
  }

  function setLanguage(next) {
    if (!LANGS.includes(next) || next === lang) return;
    lang = next;
    try { window.localStorage.setItem(STORAGE_KEY, lang); } catch (_) { /* ignore */ }
    render({ keepFocus: true });
  }

  function start() {
    for (const button of document.querySelectorAll('.lang-button')) {
      button.addEventListener('click', () => setLanguage(button.getAttribute('data-lang')));
    }
    document.getElementById('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const q = document.getElementById('search-input').value.trim();
      if (!q) return;
      const target = `#/search?q=${encodeURIComponent(q)}`;
      if (window.location.hash === target) {
        load(`search:${q}`, () => searchThreads(q), true); // same search again: fetch afresh
        navigate(false);
      } else {
        window.location.hash = target;
      }
    });
    document.querySelector('.skip-link').addEventListener('click', (event) => {
      event.preventDefault();
      const main = document.getElementById('main');
      main.focus();
      main.scrollIntoView({ block: 'start' });
    });
    window.addEventListener('hashchange', () => navigate(false));
    navigate(true);
  }

  // Exposed for a later switch to full-text search and for debugging in the console.
  window.lknExplorer = { searchThreads, setLanguage, catalogue: CATALOGUE };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
