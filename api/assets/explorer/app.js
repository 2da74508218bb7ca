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
      threadsCountMember: 'The newest {shown} of {total} threads.',
      threadsNoneMember: 'No threads yet.',
      byAuthor: 'by {author}',
      ofPartner: '{partner}',
      postedOn: 'Posted {date}',
      replyCount_one: '{n} reply',
      replyCount_other: '{n} replies',
      tagsLabel: 'Tags',
      unknownAuthor: 'a former member',
      hiddenAuthor: 'a member of the network',

      threadNotFound: 'This thread was not found, or it is not public.',
      signInToSee: 'If it is shared with the network\u2019s members only, sign in to see it.',
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
        discord: 'Discord', ids: 'Notifications', upTo: 'Notifications',
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
      sessionSuspended: 'Your membership is suspended, so this page has signed you out. Your partner\u2019s coordinator can tell you more.',
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
      endorsedByYou: '\u2713 Endorsed by you',
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

      notificationSettingsLink: 'Notification settings',

      notificationsLink: 'Notifications',
      notificationsLinkUnread: 'Notifications, {n} unread',
      notificationsHeading: 'Notifications',
      notificationsIntro: 'What happened in the network that concerns you, newest first.',
      notificationsTotal_one: '{n} notification',
      notificationsTotal_other: '{n} notifications',
      notificationsUnread: '{n} unread',
      notificationsNone: 'You have no notifications yet. You hear here of replies to your threads and to threads you follow, and of news of your partner\u2019s collaborations.',
      notificationsNoneUnread: 'You have no unread notifications.',
      unreadOnlyLabel: 'Show only unread',
      markAllRead: 'Mark all as read',
      markedAllRead: 'The notifications shown are marked as read.',
      moreButton: 'More',
      unreadMarker: 'Unread',
      signInToSeeNotifications: 'Sign in to see your notifications.',
      notificationKind: {
        REPLY_ON_YOUR_THREAD: 'Replies on your threads',
        REPLY_ON_FOLLOWED_THREAD: 'Replies on threads you follow',
        FOLLOWED_THREAD_CHANGED: 'Changes to threads you follow',
        ENDORSEMENT: 'Endorsements of your threads',
        JOIN_REQUEST: 'Requests to join your collaborations',
        JOIN_DECISION: 'Decisions on your partner\u2019s requests to join',
        COLLABORATION_STATUS: 'Changes to your collaborations',
        BID_DEADLINE: 'Bid deadlines',
        QUESTION_IN_YOUR_EXPERTISE: 'New questions in your expertise',
      },
      notificationKindHint: {
        REPLY_ON_YOUR_THREAD: 'Someone replied on a thread you started.',
        REPLY_ON_FOLLOWED_THREAD: 'Someone replied on a thread you follow.',
        FOLLOWED_THREAD_CHANGED: 'A thread you follow had an answer accepted, was edited or was closed.',
        ENDORSEMENT: 'Another partner endorsed a thread you started.',
        JOIN_REQUEST: 'A partner asked to join a collaboration your partner leads (for coordinators).',
        JOIN_DECISION: 'Your partner\u2019s request to join a collaboration was accepted or declined.',
        COLLABORATION_STATUS: 'A collaboration your partner is in changed status.',
        BID_DEADLINE: 'The bid deadline of a collaboration your partner is in is 14 or 3 days away.',
        QUESTION_IN_YOUR_EXPERTISE: 'A new question was tagged with one of the areas of expertise on your profile.',
      },

      settingsHeading: 'Notification settings',
      settingsIntro: 'Choose how you hear of each kind of news: by e-mail (at once, in a daily or weekly digest, or never) and by a direct message from the network\u2019s Discord bot (at once or never).',
      settingsDefaults: 'By default: e-mail weekly digest; Discord at once for replies to your own threads.',
      settingsOffNote: '\u201cNever\u201d on both turns a kind off: it is not listed in your notifications either.',
      signInToChangeSettings: 'Sign in to choose how you hear of news from the network.',
      channelEmail: 'E-mail',
      channelDiscord: 'Discord',
      channelFor: '{channel}: {kind}',
      discordNotLinked: 'Discord messages need a linked Discord account: in the network\u2019s Discord server, use the bot\u2019s /link command with your work e-mail address.',
      kindOff: 'Off: you are not told of this at all.',
      cadence: { IMMEDIATELY: 'At once', DAILY: 'Daily digest', WEEKLY: 'Weekly digest', NEVER: 'Never' },
      saveSettings: 'Save settings',
      settingsSaved: 'Your notification settings are saved.',
      settingsUnchanged: 'Nothing has changed, so there was nothing to save.',

      collaborationNotFound: 'This collaboration was not found, or it is not public.',
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
      threadsCountMember: 'Y {shown} diweddaraf o {total} o edafedd.',
      threadsNoneMember: 'Dim edafedd eto.',
      byAuthor: 'gan {author}',
      ofPartner: '{partner}',
      postedOn: 'Postiwyd {date}',
      replyCount_other: '{n} ateb',
      tagsLabel: 'Tagiau',
      unknownAuthor: 'cyn-aelod',
      hiddenAuthor: 'aelod o\u2019r rhwydwaith',

      threadNotFound: 'Ni chafwyd hyd i\u2019r edefyn hwn, neu nid yw\u2019n gyhoeddus.',
      signInToSee: 'Os yw wedi\u2019i rannu ag aelodau\u2019r rhwydwaith yn unig, mewngofnodwch i\u2019w weld.',
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
        discord: 'Discord', ids: 'Hysbysiadau', upTo: 'Hysbysiadau',
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
      sessionSuspended: 'Mae eich aelodaeth wedi\u2019i hatal, felly mae\u2019r dudalen hon wedi eich allgofnodi. Gall cydlynydd eich partner ddweud mwy wrthych.',
      userErrorCode: {
        BLANK: 'Mae angen rhoi gwerth yma.',
        TOO_LONG: 'Mae hyn yn rhy hir.',
        TOO_SHORT: 'Mae hyn yn rhy fyr.',
        INVALID: 'Nid yw hyn yn y ffurf gywir.',
        NOT_FOUND: 'Ni chafwyd hyd i hyn.',
        CONFLICT: 'Mae rhywun wedi newid hyn ers i chi ei agor.',
        INVALID_STATE: 'Nid yw hyn yn bosibl fel y mae pethau nawr.',
        TAKEN: 'Mae hyn wedi\u2019i wneud eisoes.',
        IDEMPOTENCY_KEY_REUSED: 'Anfonwyd hyn eisoes gyda chynnwys gwahanol.',
        FORBIDDEN: 'Nid yw eich r\u00f4l yn caniat\u00e1u hyn.',
        EXPIRED: 'Nid yw\u2019r cod yn gweithio: efallai ei fod wedi\u2019i gamdeipio, wedi\u2019i ddefnyddio neu wedi dod i ben.',
        RATE_LIMITED: 'Gormod o ymdrechion: arhoswch ychydig, yna rhowch gynnig arall arni.',
      },
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
      endorsedByYou: '\u2713 Wedi\u2019i gymeradwyo gennych',
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

      notificationSettingsLink: 'Gosodiadau hysbysiadau',

      notificationsLink: 'Hysbysiadau',
      notificationsLinkUnread: 'Hysbysiadau, {n} heb eu darllen',
      notificationsHeading: 'Hysbysiadau',
      notificationsIntro: 'Yr hyn a ddigwyddodd yn y rhwydwaith sy\u2019n ymwneud \u00e2 chi, y diweddaraf yn gyntaf.',
      notificationsTotal_other: '{n} hysbysiad',
      notificationsUnread: '{n} heb eu darllen',
      notificationsNone: 'Nid oes gennych hysbysiadau eto. Yma byddwch yn clywed am atebion i\u2019ch edafedd ac i edafedd rydych yn eu dilyn, ac am newyddion cydweithrediadau eich partner.',
      notificationsNoneUnread: 'Nid oes gennych hysbysiadau heb eu darllen.',
      unreadOnlyLabel: 'Dangos y rhai heb eu darllen yn unig',
      markAllRead: 'Marcio\u2019r cyfan wedi\u2019u darllen',
      markedAllRead: 'Mae\u2019r hysbysiadau a ddangosir wedi\u2019u marcio wedi\u2019u darllen.',
      moreButton: 'Rhagor',
      unreadMarker: 'Heb ei ddarllen',
      signInToSeeNotifications: 'Mewngofnodwch i weld eich hysbysiadau.',
      notificationKind: {
        REPLY_ON_YOUR_THREAD: 'Atebion i\u2019ch edafedd',
        REPLY_ON_FOLLOWED_THREAD: 'Atebion i edafedd rydych yn eu dilyn',
        FOLLOWED_THREAD_CHANGED: 'Newidiadau i edafedd rydych yn eu dilyn',
        ENDORSEMENT: 'Cymeradwyo eich edafedd',
        JOIN_REQUEST: 'Ceisiadau i ymuno \u00e2\u2019ch cydweithrediadau',
        JOIN_DECISION: 'Penderfyniadau ar geisiadau eich partner i ymuno',
        COLLABORATION_STATUS: 'Newidiadau i\u2019ch cydweithrediadau',
        BID_DEADLINE: 'Dyddiadau cau ceisiadau am gyllid',
        QUESTION_IN_YOUR_EXPERTISE: 'Cwestiynau newydd yn eich arbenigedd',
      },
      notificationKindHint: {
        REPLY_ON_YOUR_THREAD: 'Mae rhywun wedi ateb ar edefyn a ddechreuoch chi.',
        REPLY_ON_FOLLOWED_THREAD: 'Mae rhywun wedi ateb ar edefyn rydych yn ei ddilyn.',
        FOLLOWED_THREAD_CHANGED: 'Mae edefyn rydych yn ei ddilyn wedi cael ateb derbyniol, wedi\u2019i olygu neu wedi\u2019i gau.',
        ENDORSEMENT: 'Mae partner arall wedi cymeradwyo edefyn a ddechreuoch chi.',
        JOIN_REQUEST: 'Mae partner wedi gofyn am ymuno \u00e2 chydweithrediad y mae eich partner yn ei arwain (i gydlynwyr).',
        JOIN_DECISION: 'Mae cais eich partner i ymuno \u00e2 chydweithrediad wedi\u2019i dderbyn neu ei wrthod.',
        COLLABORATION_STATUS: 'Mae statws cydweithrediad y mae eich partner yn rhan ohono wedi newid.',
        BID_DEADLINE: 'Mae dyddiad cau cais am gyllid cydweithrediad y mae eich partner yn rhan ohono 14 neu 3 diwrnod i ffwrdd.',
        QUESTION_IN_YOUR_EXPERTISE: 'Mae cwestiwn newydd wedi\u2019i dagio ag un o\u2019r meysydd arbenigedd ar eich proffil.',
      },

      settingsHeading: 'Gosodiadau hysbysiadau',
      settingsIntro: 'Dewiswch sut rydych yn clywed am bob math o newyddion: drwy e-bost (ar unwaith, mewn crynodeb dyddiol neu wythnosol, neu byth) a thrwy neges uniongyrchol gan fot Discord y rhwydwaith (ar unwaith neu byth).',
      settingsDefaults: 'Yn ddiofyn: crynodeb wythnosol drwy e-bost; Discord ar unwaith ar gyfer atebion i\u2019ch edafedd eich hun.',
      settingsOffNote: 'Mae \u201cByth\u201d ar y ddau yn diffodd math o hysbysiad: nid yw\u2019n cael ei restru yn eich hysbysiadau chwaith.',
      signInToChangeSettings: 'Mewngofnodwch i ddewis sut rydych yn clywed am newyddion o\u2019r rhwydwaith.',
      channelEmail: 'E-bost',
      channelDiscord: 'Discord',
      channelFor: '{channel}: {kind}',
      discordNotLinked: 'Mae angen cyfrif Discord cysylltiedig ar gyfer negeseuon Discord: yng ngweinydd Discord y rhwydwaith, defnyddiwch orchymyn /link y bot gyda\u2019ch cyfeiriad e-bost gwaith.',
      kindOff: 'I ffwrdd: ni roddir gwybod i chi am hyn o gwbl.',
      cadence: { IMMEDIATELY: 'Ar unwaith', DAILY: 'Crynodeb dyddiol', WEEKLY: 'Crynodeb wythnosol', NEVER: 'Byth' },
      saveSettings: 'Cadw\u2019r gosodiadau',
      settingsSaved: 'Mae eich gosodiadau hysbysiadau wedi\u2019u cadw.',
      settingsUnchanged: 'Does dim wedi newid, felly doedd dim i\u2019w gadw.',

      collaborationNotFound: 'Ni chafwyd hyd i\u2019r cydweithrediad hwn, neu nid yw\u2019n gyhoeddus.',
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

  /** "2 December 2026, 15:04": a timestamp with its time of day, in the reader's own time zone. */
  function formatDateTime(value) {
    const d = new Date(value);
    if (!value || Number.isNaN(d.getTime())) return formatDate(value);
    const hh = String(d.getHours()).padStart(2, '0');
    const mm = String(d.getMinutes()).padStart(2, '0');
    return `${formatDate(value)}, ${hh}:${mm}`;
  }

  // ---------------------------------------------------------------------------------------------
  // The API
  // ---------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(kind, detail, codes) {
      super(detail || kind);
      this.kind = kind; // 'network' | 'http' | 'bad' | 'graphql'
      this.detail = detail;
      this.codes = codes || [];
    }
  }

  /**
   * Sends one GraphQL operation to /graphql, with the session token unless `anonymous` (the sign-in mutations go
   * without one, so that a stale token cannot stand in their way). When the server refuses the token this page
   * sent (UNAUTHENTICATED: revoked, expired, or the member suspended), the page signs out.
   */
  async function graphql(query, variables, options) {
    // While a stored token is being checked, everything else waits: a stale token is refused once, not by every
    // request of the page (each refusal counts against the reader's address).
    if (session.checking && !(options && options.check)) await session.checking;
    const token = options && options.anonymous ? null : session.token;
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        headers,
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
      const codes = body.errors.map((e) => e && e.extensions && e.extensions.code).filter(Boolean);
      if (token && codes.includes('UNAUTHENTICATED')) {
        const suspended = body.errors.some((e) => e && e.extensions && e.extensions.reason === 'SUSPENDED');
        endSession(token, suspended ? 'sessionSuspended' : 'sessionEnded');
      }
      const messages = body.errors.map((e) => {
        const code = e && e.extensions && e.extensions.code;
        return code ? `${e.message} (${code})` : String(e && e.message);
      });
      throw new ApiError('graphql', messages.join('; '), codes);
    }
    if (!res.ok) throw new ApiError('http', String(res.status));
    if (!body || typeof body !== 'object' || !body.data) throw new ApiError('bad');
    return body.data;
  }

  /** Why a request failed, in the reader's language. */
  function failureText(err) {
    if (err instanceof ApiError) {
      if (err.kind === 'network') return t('errorNetwork');
      if (err.kind === 'http') return t('errorHttp', { status: err.detail });
      if (err.kind === 'graphql') return err.detail;
      return t('errorBadResponse');
    }
    console.error(err); // eslint-disable-line no-console
    return t('errorBadResponse');
  }

  function errorText(err) {
    return t('errorLoading', { message: failureText(err) });
  }

  const THREAD_SUMMARY_FIELDS = `
    id kind title language status visibility createdAt replyCount endorsementCount tags
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

  const COLLABORATION_FIELDS = `
    id kind title summary status startsOn endsOn funder
    leadPartner { name slug }
    participants { partner { name slug } role joinStatus }
    combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount }
  `;

  async function fetchCollaborations() {
    const data = await graphql(`query ExplorerCollaborations($first: Int!) {
      collaborations(first: $first) {
        totalCount
        nodes { ${COLLABORATION_FIELDS} }
      }
    }`, { first: 50 });
    return data.collaborations;
  }

  async function fetchCollaboration(id) {
    const data = await graphql(`query ExplorerCollaboration($id: ID!) {
      collaboration(id: $id) { ${COLLABORATION_FIELDS} }
    }`, { id });
    return data.collaboration;
  }

  /** A thread with what its own page shows; the thread mutations return it, so the page needs no second trip. */
  const THREAD_FIELDS = `
    ${THREAD_SUMMARY_FIELDS}
    body
    acceptedReply { id }
    replies(first: 100) {
      totalCount
      nodes { id body isAccepted createdAt author { id displayName partner { name } } }
    }
  `;

  async function fetchThread(id) {
    const data = await graphql(`query ExplorerThread($id: ID!) {
      thread(id: $id) { ${THREAD_FIELDS} }
    }`, { id });
    return data.thread;
  }

  /**
   * Searches the threads the reader may see (public ones, and network-only ones once signed in) for `q`.
   * Returns { totalCount, nodes } where nodes are thread summaries.
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
  // The session: who is signed in on this browser, and what they may send
  // ---------------------------------------------------------------------------------------------

  const SESSION_KEY = 'lkn.explorer.session';
  const VIEWER_FIELDS = 'id displayName role partner { name slug }';
  const USER_ERRORS = 'userErrors { field message code }';

  /**
   * The session token lives in localStorage and in the Authorization header, nowhere else (never in a URL).
   * `viewer` is the member it signs in, once known.
   */
  const session = { token: readToken(), viewer: null, checking: null };

  function readToken() {
    try {
      return window.localStorage.getItem(SESSION_KEY) || null;
    } catch (_) {
      return null; // storage may be unavailable: the session then lasts as long as the page
    }
  }

  function storeToken(token) {
    try {
      if (token) window.localStorage.setItem(SESSION_KEY, token);
      else window.localStorage.removeItem(SESSION_KEY);
    } catch (_) { /* storage may be unavailable */ }
  }

  function signedIn() {
    return Boolean(session.token);
  }

  /** Starts a session: everything loaded so far was loaded with another sight, so it is loaded again. */
  function startSession(token, member) {
    session.token = token;
    session.viewer = member || null;
    storeToken(token);
    forgetLoaded();
  }

  /** Forgets the session on this browser, and what was loaded with it. */
  function forgetSession() {
    session.token = null;
    session.viewer = null;
    storeToken(null);
    forgetLoaded();
  }

  /**
   * Ends the session when the server refused its token (revoked, expired, member suspended): the page goes on
   * anonymously and says why. A token the page has already let go of is left alone.
   */
  function endSession(token, reasonKey) {
    if (!token || session.token !== token) return;
    forgetSession();
    showNotice(reasonKey, 'info');
    onLoaded();
  }

  /** Checks the stored token before the page uses it. */
  function checkSession() {
    if (!session.token) return;
    session.checking = loadViewer().finally(() => { session.checking = null; });
  }

  /** Asks who the stored token signs in; a refused token ends the session (in graphql()). */
  async function loadViewer() {
    const token = session.token;
    if (!token) return;
    try {
      const data = await graphql(`query ExplorerViewer { viewer { ${VIEWER_FIELDS} } }`, null, { check: true });
      if (session.token !== token) return;
      if (data.viewer) session.viewer = data.viewer;
      else endSession(token, 'sessionEnded');
    } catch (_) {
      return; // a refused token has ended the session; any other failure leaves it for the next request
    }
    render({ keepFocus: true });
  }

  /**
   * The signed-in member's unread notifications, counted in the header. The count is asked for again on every
   * navigation, and every 60 seconds while the tab is visible (never while it is hidden or nobody is signed in).
   * Marking read sends its own count back: an answer to a question asked before it is out of date and ignored.
   */
  const UNREAD_REFRESH_MS = 60_000;
  const unread = { count: null, timer: null, asking: null, version: 0, marking: Promise.resolve() };

  function setUnread(count) {
    unread.version += 1;
    unread.count = typeof count === 'number' ? Math.max(0, count) : null;
    showUnread();
  }

  /** Forgets the count and stops asking, for when nobody (or somebody else) is signed in. */
  function forgetUnread() {
    window.clearTimeout(unread.timer);
    unread.timer = null;
    setUnread(null);
  }

  function refreshUnread() {
    if (!signedIn()) {
      forgetUnread();
      return Promise.resolve();
    }
    if (unread.asking) return unread.asking;
    window.clearTimeout(unread.timer);
    unread.timer = null;
    const token = session.token;
    unread.asking = (async () => {
      await unread.marking; // what is being marked read is counted as read
      const version = unread.version;
      try {
        const data = await graphql(UNREAD_COUNT);
        if (session.token !== token || unread.version !== version) return;
        const conn = data.viewer && data.viewer.notifications;
        setUnread(conn ? conn.unreadCount : null);
      } catch (_) {
        // The count stays as it was; a refused token has ended the session (in graphql()).
      }
    })().finally(() => {
      unread.asking = null;
      scheduleUnread();
    });
    return unread.asking;
  }

  function scheduleUnread() {
    window.clearTimeout(unread.timer);
    unread.timer = null;
    if (!signedIn() || document.visibilityState !== 'visible') return;
    unread.timer = window.setTimeout(refreshUnread, UNREAD_REFRESH_MS);
  }

  /** Marks notifications read, keeping the count in step; resolves to the payload (which may carry userErrors). */
  function markRead(input) {
    const token = session.token;
    const sent = graphql(MARK_READ, { input }).then((data) => {
      const payload = data.markNotificationsRead;
      if (!payload) throw new ApiError('bad');
      if ((payload.userErrors || []).length === 0 && session.token === token) setUnread(payload.unreadCount);
      return payload;
    });
    unread.marking = Promise.all([unread.marking, sent.catch(() => null)]);
    return sent;
  }

  /** "Notifications" in the header, with a badge of the unread count and the count in its accessible name. */
  function showUnread() {
    const link = document.getElementById('notifications-link');
    if (!link) return;
    const n = unread.count;
    link.replaceChildren(el('span', null, t('notificationsLink')),
      ...(n > 0 ? [el('span', { class: 'count-badge', 'aria-hidden': 'true' }, n > 99 ? '99+' : formatNumber(n))] : []));
    if (n > 0) link.setAttribute('aria-label', t('notificationsLinkUnread', { n: formatNumber(n) }));
    else link.removeAttribute('aria-label');
    if (currentRoute.name === 'notifications') link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  const REQUEST_SIGN_IN = `mutation ExplorerRequestSignIn($input: RequestSignInInput!) {
    requestSignIn(input: $input) { accepted ${USER_ERRORS} }
  }`;
  const COMPLETE_SIGN_IN = `mutation ExplorerCompleteSignIn($input: CompleteSignInInput!) {
    completeSignIn(input: $input) { token member { ${VIEWER_FIELDS} } ${USER_ERRORS} }
  }`;
  const ACCEPT_INVITATION = `mutation ExplorerAcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) { token member { ${VIEWER_FIELDS} } ${USER_ERRORS} }
  }`;
  const SIGN_OUT = `mutation ExplorerSignOut { signOut { ended ${USER_ERRORS} } }`;
  const POST_THREAD = `mutation ExplorerPostThread($input: PostThreadInput!) {
    postThread(input: $input) { thread { id } ${USER_ERRORS} }
  }`;
  const SIMILAR_THREADS = `query ExplorerSimilarThreads($text: String!) {
    similarThreads(text: $text, first: 5) { ${THREAD_SUMMARY_FIELDS} }
  }`;
  const REPLY_TO_THREAD = `mutation ExplorerReplyToThread($input: ReplyToThreadInput!) {
    replyToThread(input: $input) { reply { id } thread { ${THREAD_FIELDS} } ${USER_ERRORS} }
  }`;
  const ACCEPT_REPLY = `mutation ExplorerAcceptReply($input: AcceptReplyInput!) {
    acceptReply(input: $input) { thread { ${THREAD_FIELDS} } ${USER_ERRORS} }
  }`;
  /** endorseThread, followThread and unfollowThread take the same input and return the same payload. */
  function threadAction(field) {
    return `mutation ExplorerThreadAction($input: ThreadActionInput!) {
      ${field}(input: $input) { thread { ${THREAD_FIELDS} } ${USER_ERRORS} }
    }`;
  }
  const PROFILE_FIELDS = 'id displayName bio languages preferredLanguage expertise';
  const UPDATE_PROFILE = `mutation ExplorerUpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) { member { ${PROFILE_FIELDS} } ${USER_ERRORS} }
  }`;

  async function fetchProfile() {
    const data = await graphql(`query ExplorerProfile { viewer { ${PROFILE_FIELDS} } }`);
    return data.viewer;
  }

  /** How many notifications a page of the list holds. */
  const NOTIFICATIONS_PAGE = 20;
  const UNREAD_COUNT = `query ExplorerUnreadCount {
    viewer { id notifications(first: 1) { unreadCount } }
  }`;
  const NOTIFICATIONS = `query ExplorerNotifications($first: Int!, $after: String, $unreadOnly: Boolean!) {
    viewer {
      id preferredLanguage
      notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
        totalCount unreadCount
        pageInfo { hasNextPage endCursor }
        edges { node { id kind headline url createdAt readAt thread { id title } } }
      }
    }
  }`;
  const MARK_READ = `mutation ExplorerMarkNotificationsRead($input: MarkNotificationsReadInput!) {
    markNotificationsRead(input: $input) { marked unreadCount ${USER_ERRORS} }
  }`;
  const PREFERENCE_FIELDS = 'kind email discord';
  const NOTIFICATION_SETTINGS = `query ExplorerNotificationSettings {
    viewer { id discordLinked notificationPreferences { ${PREFERENCE_FIELDS} } }
  }`;
  const UPDATE_PREFERENCES = `mutation ExplorerUpdateNotificationPreferences($input: UpdateNotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) { preferences { ${PREFERENCE_FIELDS} } ${USER_ERRORS} }
  }`;

  /**
   * One page of the signed-in member's notifications, newest first: { language, totalCount, unreadCount,
   * hasNextPage, endCursor, items }. The headlines come in the member's language for e-mails (`language`),
   * which need not be the page's.
   */
  async function fetchNotifications(unreadOnly, after) {
    const data = await graphql(NOTIFICATIONS, { first: NOTIFICATIONS_PAGE, after: after || null, unreadOnly });
    const viewer = data.viewer;
    const conn = viewer && viewer.notifications;
    if (!conn) throw new ApiError('bad');
    return {
      language: viewer.preferredLanguage ? String(viewer.preferredLanguage).toLowerCase() : null,
      totalCount: conn.totalCount,
      unreadCount: conn.unreadCount,
      hasNextPage: Boolean(conn.pageInfo && conn.pageInfo.hasNextPage),
      endCursor: conn.pageInfo ? conn.pageInfo.endCursor : null,
      items: conn.edges.map((edge) => edge.node),
    };
  }

  async function fetchNotificationSettings() {
    const data = await graphql(NOTIFICATION_SETTINGS);
    if (!data.viewer || !Array.isArray(data.viewer.notificationPreferences)) throw new ApiError('bad');
    return data.viewer;
  }

  /**
   * Sends a mutation on behalf of the form whose state is `form`: it shows as busy meanwhile, and afterwards
   * carries the payload's userErrors or the API's error for the page to show. Returns the payload when it
   * succeeded, null otherwise.
   */
  async function submit(form, query, variables, field, options) {
    if (form.busy) return null;
    form.busy = true;
    form.userErrors = [];
    form.error = null;
    form.problem = null;
    form.done = null;
    render({ keepFocus: true });
    try {
      const data = await graphql(query, variables, options);
      const payload = data[field];
      if (!payload) {
        form.error = new ApiError('bad');
        return null;
      }
      if (Array.isArray(payload.userErrors) && payload.userErrors.length > 0) {
        form.userErrors = payload.userErrors;
        return null;
      }
      return payload;
    } catch (err) {
      form.error = err;
      return null;
    } finally {
      form.busy = false;
      render({ keepFocus: true });
    }
  }

  /** A fresh idempotency key, so that a post sent twice (a double click, a retry) is posted once. */
  function newKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** "storytime, Local history" -> ["storytime", "Local history"]. */
  function splitList(text) {
    return String(text || '').split(',').map((part) => part.trim()).filter(Boolean);
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

  /** Forgets all loaded data and what the thread pages knew, for when the viewer changes. */
  function forgetLoaded() {
    cache.clear();
    threadForms.clear();
    profileForm.loaded = null;
    settingsForm.loaded = null;
    Object.assign(inbox, { unreadOnly: false, more: null, userErrors: [], error: null, done: null });
    forgetUnread();
  }

  /** Puts fresh data into a loaded entry (from a mutation's payload), keeping the page as it is meanwhile. */
  function replaceLoaded(key, data) {
    const entry = cache.get(key);
    if (entry) {
      entry.status = 'ok';
      entry.data = data;
      entry.error = null;
    }
  }

  /** Loads a shown entry again in the background: the page keeps showing what it has until the new data is in. */
  function refreshQuietly(key, fetcher) {
    const entry = cache.get(key);
    if (!entry || entry.status !== 'ok') return;
    fetcher().then((data) => {
      if (cache.get(key) !== entry) return;
      entry.data = data;
      onLoaded();
    }, () => { /* what is shown stays; the next visit tries again */ });
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

  /** Moves focus to the element with `id` (after a render), without scrolling the page under the reader. */
  function focusById(id) {
    const node = document.getElementById(id);
    if (node) node.focus({ preventScroll: false });
  }

  /** What went wrong with a form's last submission, or what it did: an API error, user errors, a note. */
  function formFeedback(form) {
    const parts = [];
    if (form.problem) {
      parts.push(el('div', { class: 'notice notice--error', role: 'alert' }, el('p', null, t(form.problem))));
    }
    if (form.error) {
      parts.push(el('div', { class: 'notice notice--error', role: 'alert' },
        el('p', null, t('actionFailed', { message: failureText(form.error) }))));
    }
    if (Array.isArray(form.userErrors) && form.userErrors.length > 0) {
      parts.push(el('div', { class: 'notice notice--error user-errors', role: 'alert' },
        el('p', null, t('userErrorsHeading')),
        el('ul', null, form.userErrors.map((e) => el('li', null, userErrorText(e))))));
    }
    if (form.done) parts.push(el('p', { class: 'notice notice--ok', role: 'status' }, t(form.done)));
    return parts;
  }

  /**
   * "Title: the title must not be empty": the field in the reader's words, then the API's message. The API
   * writes its messages in English; in Welsh the page says what the code means first and keeps the API's
   * words (which may carry a detail, such as how long to wait) after it.
   */
  function userErrorText(e) {
    const path = Array.isArray(e.field) ? e.field : [];
    const name = path.length > 0 ? path[path.length - 1] : null;
    const named = name ? `${label('fieldNames', name)}: ` : '';
    const own = lang === 'en' ? null : (CATALOGUE[lang].userErrorCode || {})[e.code];
    if (!own) return `${named}${e.message}`;
    return [`${named}${own} `, el('span', { lang: 'en', class: 'muted' }, `(${e.message})`)];
  }

  /**
   * A labelled text field bound to `form[name]`: an <input> (attrs.type), or a <textarea> when attrs.rows is
   * given. The hint, if any, is tied to the control with aria-describedby.
   */
  function textField(form, name, labelKey, hintKey, attrs) {
    const id = `${form.id}-${name}`;
    const hintId = hintKey ? `${id}-hint` : null;
    const common = Object.assign({
      id, name, 'aria-describedby': hintId, oninput: (event) => { form[name] = event.target.value; },
    }, attrs || {});
    const control = common.rows
      ? el('textarea', common, form[name] || '')
      : el('input', Object.assign({ type: 'text', value: form[name] || '' }, common));
    return el('div', { class: 'field' },
      el('label', { for: id }, t(labelKey)),
      hintKey ? el('p', { class: 'hint', id: hintId }, t(hintKey)) : null,
      control);
  }

  /** A group of radio buttons bound to `form[name]`, one per value, labelled from the catalogue group. */
  function radioField(form, name, legendKey, group, values) {
    return el('fieldset', { class: 'field choices' },
      el('legend', null, t(legendKey)),
      values.map((value) => {
        const id = `${form.id}-${name}-${value.toLowerCase()}`;
        return el('div', { class: 'choice' },
          el('input', {
            type: 'radio', id, name: `${form.id}-${name}`, value, checked: form[name] === value,
            onchange: () => { form[name] = value; },
          }),
          el('label', { for: id }, label(group, value)));
      }));
  }

  /** A labelled <select> bound to `form[name]`. */
  function selectField(form, name, labelKey, group, values) {
    const id = `${form.id}-${name}`;
    return el('div', { class: 'field' },
      el('label', { for: id }, t(labelKey)),
      el('select', { id, name, onchange: (event) => { form[name] = event.target.value; } },
        values.map((value) => el('option', { value, selected: form[name] === value }, label(group, value)))));
  }

  /** The form's submit button; while the form is being sent it says so and ignores further presses. */
  function submitButton(form, labelKey) {
    return el('button', {
      type: 'submit', class: 'button', id: `${form.id}-submit`, 'aria-disabled': form.busy ? 'true' : null,
    }, form.busy ? t('working') : t(labelKey));
  }

  function signInPrompt(key) {
    return el('p', { class: 'notice sign-in-prompt' }, t(key), ' ',
      el('a', { href: '#/sign-in', onclick: rememberReturn }, t('signInLink')));
  }

  /** Where to come back to after signing in: the page the reader was on. */
  function rememberReturn() {
    const route = parseRoute();
    if (route && route.name !== 'sign-in' && route.name !== 'join') signInForm.returnTo = window.location.hash || '#/';
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

  /**
   * Who wrote something. The API names members only to members: to anyone else an author is "a member of the
   * network"; to a member, an author without a name is one who has left and asked to be forgotten.
   */
  function authorName(author) {
    if (author && author.displayName) return author.displayName;
    return t(signedIn() ? 'unknownAuthor' : 'hiddenAuthor');
  }

  /** Marks a thread only members can see, so nobody mistakes it for something to share outside. */
  function networkOnlyBadge(th) {
    return th.visibility === 'NETWORK' ? badge(t('networkOnly'), 'network-only') : null;
  }

  function threadItem(th) {
    const author = authorName(th.author);
    const meta = el('p', { class: 'thread-meta' },
      badge(label('threadKind', th.kind), `kind-${String(th.kind).toLowerCase()}`),
      th.status ? badge(label('threadStatus', th.status), `status-${String(th.status).toLowerCase()}`) : null,
      networkOnlyBadge(th),
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
        const ask = signedIn()
          ? el('p', { class: 'call-to-action' }, el('a', { class: 'button', href: '#/new' }, t('newThreadLink')))
          : null;
        if (conn.nodes.length === 0) return [ask, el('p', { class: 'muted' }, t(signedIn() ? 'threadsNoneMember' : 'threadsNone'))];
        return [
          ask,
          el('p', { class: 'lead' }, t(signedIn() ? 'threadsCountMember' : 'threadsCount', {
            shown: formatNumber(conn.nodes.length), total: formatNumber(conn.totalCount),
          })),
          el('ol', { class: 'thread-list', id: 'newest-threads' }, conn.nodes.map(threadItem)),
        ];
      }));
  }

  function collaborationItem(c) {
    return el('li', { class: 'collab-item' }, el('h3', { class: 'collab-title' }, c.title), collaborationDetails(c));
  }

  /** What the list and a collaboration's own page show under its title. */
  function collaborationDetails(c) {
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
    return [
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
        : null,
    ];
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

  /** What a thread page keeps while the reader acts on it: the reply being written, what they did. */
  const threadForms = new Map();

  function threadForm(id) {
    let form = threadForms.get(id);
    if (!form) {
      form = {
        id: 'reply', threadId: id, body: '', key: newKey(), busy: false, userErrors: [], error: null, problem: null,
        done: null, origin: null, following: false, endorsed: false,
      };
      threadForms.set(id, form);
    }
    return form;
  }

  /**
   * Runs a thread mutation whose payload carries the thread, and shows the thread as it now is. `after` gets
   * the payload when it succeeded.
   */
  async function actOnThread(form, query, input, field, doneKey, after) {
    form.origin = field === 'replyToThread' ? 'reply' : 'actions'; // where the outcome is shown
    const payload = await submit(form, query, { input }, field);
    if (!payload) return;
    if (payload.thread) replaceLoaded(`thread:${form.threadId}`, payload.thread);
    cache.delete('threads'); // counts in the newest threads have moved
    form.done = doneKey;
    if (after) after(payload);
    render({ keepFocus: true });
  }

  function replyItem(th, r, acceptedId, form) {
    const accepted = r.isAccepted || r.id === acceptedId;
    const who = authorName(r.author);
    const where = r.author && r.author.partner ? r.author.partner.name : null;
    const viewer = session.viewer;
    const mayAccept = signedIn() && viewer && th.author && th.author.id === viewer.id && th.kind === 'QUESTION'
      && th.status !== 'CLOSED' && !accepted;
    return el('li', { class: `reply${accepted ? ' reply--accepted' : ''}`, 'data-accepted': accepted ? 'true' : null, 'data-reply-id': r.id },
      accepted ? el('p', { class: 'accepted-label' }, el('span', { 'aria-hidden': 'true' }, '\u2713 '), t('acceptedAnswer')) : null,
      el('p', { class: 'thread-meta' },
        el('span', null, [who, where].filter(Boolean).join(', ')),
        el('span', null, timeEl(r.createdAt))),
      el('div', { class: 'body-text' }, r.body),
      mayAccept
        ? el('p', { class: 'reply-actions' }, el('button', {
          type: 'button', class: 'button button--secondary', id: `accept-${r.id}`,
          'aria-disabled': form.busy ? 'true' : null,
          onclick: () => actOnThread(form, ACCEPT_REPLY, { replyId: r.id }, 'acceptReply', 'answerAccepted'),
        }, t('acceptButton')))
        : null);
  }

  /** Endorse and follow, for a signed-in member. */
  function threadActions(th, form) {
    const own = session.viewer && th.author && th.author.id === session.viewer.id;
    const input = { threadId: th.id };
    let endorse = null;
    if (form.endorsed) endorse = el('span', { class: 'endorsed' }, t('endorsedByYou'));
    else if (!own) {
      endorse = el('button', {
        type: 'button', class: 'button button--secondary', id: 'endorse-button',
        'aria-disabled': form.busy ? 'true' : null,
        onclick: () => actOnThread(form, threadAction('endorseThread'), input, 'endorseThread', 'endorsed',
          () => { form.endorsed = true; }),
      }, t('endorseButton'));
    }
    return el('div', { class: 'thread-actions', role: 'group', 'aria-label': t('actionsLabel') },
      endorse,
      el('span', { class: 'muted endorsements' }, tn('endorsementCount', th.endorsementCount ?? 0)),
      el('button', {
        type: 'button', class: 'button button--secondary', id: 'follow-button',
        'aria-disabled': form.busy ? 'true' : null,
        onclick: () => {
          const follow = !form.following;
          const field = follow ? 'followThread' : 'unfollowThread';
          actOnThread(form, threadAction(field), input, field, follow ? 'following' : 'unfollowed',
            () => { form.following = follow; });
        },
      }, form.following ? t('unfollowButton') : t('followButton')));
  }

  function replyForm(th, form) {
    if (th.status === 'CLOSED') return el('p', { class: 'muted' }, t('threadClosed'));
    return el('form', {
      class: 'form reply-form', id: 'reply-form', 'aria-labelledby': 'reply-form-heading', novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const body = form.body.trim();
        if (!body) {
          Object.assign(form, { origin: 'reply', problem: 'replyMissing', done: null, userErrors: [], error: null });
          render({ keepFocus: true });
          focusById('reply-body');
          return;
        }
        actOnThread(form, REPLY_TO_THREAD, { threadId: th.id, body, idempotencyKey: form.key }, 'replyToThread',
          'replyPosted', () => { form.body = ''; form.key = newKey(); });
      },
    },
    el('h3', { id: 'reply-form-heading' }, t('replyHeading')),
    textField(form, 'body', 'replyLabel', null, { rows: 5 }),
    form.origin === 'reply' ? formFeedback(form) : null,
    submitButton(form, 'replyButton'));
  }

  function threadView(id) {
    const key = `thread:${id}`;
    const fetcher = () => fetchThread(id);
    const entry = load(key, fetcher);
    const article = entryView(entry, () => { load(key, fetcher, true); render({ keepFocus: true }); }, (th) => {
      if (!th) {
        return el('div', { class: 'notice' }, el('h2', { id: 'view-heading', tabindex: '-1' }, t('threadNotFound')),
          signedIn() ? null : signInPrompt('signInToSee'));
      }
      document.title = `${th.title} \u2014 ${t('siteTitle')}`;
      const form = threadForm(th.id);
      const acceptedId = th.acceptedReply ? th.acceptedReply.id : null;
      const replies = th.replies || { totalCount: 0, nodes: [] };
      const replyItems = replies.nodes.map((r) => replyItem(th, r, acceptedId, form));
      const threadLang = th.language ? String(th.language).toLowerCase() : null;
      return el('article', { class: 'thread', 'data-thread-id': th.id },
        el('h2', { id: 'view-heading', tabindex: '-1', class: 'thread-heading', lang: threadLang }, th.title),
        el('p', { class: 'thread-meta' },
          badge(label('threadKind', th.kind), `kind-${String(th.kind).toLowerCase()}`),
          th.status ? badge(label('threadStatus', th.status), `status-${String(th.status).toLowerCase()}`) : null,
          networkOnlyBadge(th),
          el('span', null, t('byAuthor', { author: authorName(th.author) })),
          th.partner ? el('span', null, th.partner.name) : null,
          el('span', null, t('postedOn', { date: formatDate(th.createdAt) })),
          th.language ? el('span', null, t('threadLanguage', { language: label('threadLanguageName', th.language) })) : null),
        Array.isArray(th.tags) && th.tags.length > 0
          ? el('ul', { class: 'tag-list', 'aria-label': t('tagsLabel') }, th.tags.map((tag) => el('li', { class: 'tag' }, tag)))
          : null,
        el('div', { class: 'body-text thread-body', lang: threadLang }, th.body || ''),
        signedIn() ? threadActions(th, form) : null,
        signedIn() && form.origin !== 'reply' ? formFeedback(form) : null,
        el('section', { class: 'replies', id: 'replies', 'aria-labelledby': 'replies-heading' },
          el('h3', { id: 'replies-heading' }, `${t('repliesHeading')} (${formatNumber(replies.totalCount)})`),
          replyItems.length === 0
            ? el('p', { class: 'muted' }, t('repliesNone'))
            : el('ol', { class: 'reply-list' }, replyItems),
          replies.totalCount > replyItems.length
            ? el('p', { class: 'muted' }, t('repliesShown', {
              shown: formatNumber(replyItems.length), total: formatNumber(replies.totalCount),
            }))
            : null),
        signedIn() ? replyForm(th, form) : signInPrompt('signInToAct'));
    });
    return el('div', { class: 'panel view' }, backLink(), article);
  }

  function formState(id, fields) {
    return Object.assign({ id, busy: false, userErrors: [], error: null, problem: null, done: null }, fields);
  }

  /** Sign-in by e-mail: the address, then the code from the e-mail (or the e-mail's link, which fills both). */
  const signInForm = formState('sign-in', { step: 'email', email: '', code: '', returnTo: null, fromLink: false });

  async function requestCode() {
    const form = signInForm;
    form.email = form.email.trim();
    if (!form.email) {
      form.problem = 'emailMissing';
      render({ keepFocus: true });
      return;
    }
    const payload = await submit(form, REQUEST_SIGN_IN, { input: { email: form.email } }, 'requestSignIn',
      { anonymous: true });
    if (!payload) return;
    form.step = 'code';
    form.code = '';
    render();
    focusById('sign-in-code');
  }

  async function completeCode() {
    const form = signInForm;
    const code = form.code.trim();
    if (!code) {
      form.problem = 'codeMissing';
      render({ keepFocus: true });
      return;
    }
    const input = { code, email: form.email || null };
    const payload = await submit(form, COMPLETE_SIGN_IN, { input }, 'completeSignIn', { anonymous: true });
    form.fromLink = false;
    if (!payload || !payload.token) {
      render({ keepFocus: true });
      return;
    }
    const back = form.returnTo || '#/';
    Object.assign(form, { step: 'email', code: '', returnTo: null });
    signedInNow(payload, 'signedIn', back);
  }

  /** A sign-in (or joining) succeeded: keep the session, say so, and go where the reader was heading. */
  function signedInNow(payload, noticeKey, target) {
    startSession(payload.token, payload.member);
    showNotice(noticeKey, 'ok', { name: payload.member ? payload.member.displayName : '' }, target);
    go(target);
  }

  function signInView() {
    const form = signInForm;
    const onCode = form.step === 'code';
    let body;
    if (form.fromLink && form.busy) {
      body = el('p', { class: 'notice notice--loading' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), t('signingIn'));
    } else if (!onCode) {
      body = el('form', {
        class: 'form', id: 'sign-in-email-form', novalidate: true,
        onsubmit: (event) => { event.preventDefault(); requestCode(); },
      },
      el('p', { class: 'lead' }, t('signInIntro')),
      textField(form, 'email', 'emailLabel', null, { type: 'email', autocomplete: 'email', inputmode: 'email', required: true }),
      formFeedback(form),
      submitButton(form, 'sendCode'));
    } else {
      body = el('form', {
        class: 'form', id: 'sign-in-code-form', novalidate: true,
        onsubmit: (event) => { event.preventDefault(); completeCode(); },
      },
      form.email ? el('p', { class: 'lead' }, t('checkEmail', { email: form.email })) : null,
      textField(form, 'code', 'codeLabel', 'codeHint', {
        autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false', required: true,
      }),
      formFeedback(form),
      submitButton(form, 'completeSignIn'),
      el('p', null, el('button', {
        type: 'button', class: 'link-button', id: 'sign-in-restart',
        onclick: () => {
          Object.assign(form, { step: 'email', code: '', userErrors: [], error: null, problem: null });
          render();
          focusById('sign-in-email');
        },
      }, t('otherEmail'))));
    }
    return el('section', { class: 'panel view narrow', id: 'sign-in', 'aria-labelledby': 'view-heading' },
      el('h2', { id: 'view-heading', tabindex: '-1' }, t(onCode ? 'checkEmailHeading' : 'signInHeading')),
      body);
  }

  /** Joining from an invitation: the code (from the link, or typed) and the name to show. */
  const joinForm = formState('join', { code: '', displayName: '' });

  async function acceptInvitation() {
    const form = joinForm;
    const code = form.code.trim();
    if (!code) {
      form.problem = 'codeMissing';
      render({ keepFocus: true });
      return;
    }
    const input = { code, displayName: form.displayName.trim() || null };
    const payload = await submit(form, ACCEPT_INVITATION, { input }, 'acceptInvitation', { anonymous: true });
    if (!payload || !payload.token) return;
    Object.assign(form, { code: '', displayName: '' });
    signedInNow(payload, 'joined', '#/');
  }

  function joinView() {
    const form = joinForm;
    return el('section', { class: 'panel view narrow', id: 'join', 'aria-labelledby': 'view-heading' },
      el('h2', { id: 'view-heading', tabindex: '-1' }, t('joinHeading')),
      el('form', {
        class: 'form', id: 'join-form', novalidate: true,
        onsubmit: (event) => { event.preventDefault(); acceptInvitation(); },
      },
      el('p', { class: 'lead' }, t('joinIntro')),
      textField(form, 'code', 'joinCodeLabel', null, { autocomplete: 'off', spellcheck: 'false', required: true }),
      textField(form, 'displayName', 'displayNameLabel', 'displayNameHint', { autocomplete: 'name', maxlength: 100 }),
      formFeedback(form),
      submitButton(form, 'joinButton')));
  }

  /** The thread being written, kept across views so that looking at a similar thread loses nothing. */
  const THREAD_KINDS = ['QUESTION', 'IDEA', 'RESOURCE'];
  const THREAD_LANGUAGES = ['EN', 'CY', 'GD', 'GA'];
  const EMAIL_LANGUAGES = ['EN', 'CY'];

  function freshDraft() {
    return formState('new-thread', {
      kind: 'QUESTION', title: '', body: '', tags: '', language: null, visibility: 'NETWORK',
      key: newKey(), similar: { text: '', status: 'idle', nodes: [] },
    });
  }

  let draft = freshDraft();
  let similarTimer = null;

  /** Looks for similar threads a moment after the title stops changing, as the bot does before posting. */
  function titleChanged() {
    window.clearTimeout(similarTimer);
    similarTimer = window.setTimeout(findSimilar, 400);
  }

  async function findSimilar() {
    const text = draft.title.trim();
    const similar = draft.similar;
    if (text === similar.text) return;
    similar.text = text;
    if (text.length < 3) {
      Object.assign(similar, { status: 'idle', nodes: [] });
      showSimilar();
      return;
    }
    similar.status = 'loading';
    showSimilar();
    try {
      const data = await graphql(SIMILAR_THREADS, { text });
      if (similar.text !== text) return; // the title has changed again meanwhile
      Object.assign(similar, { status: 'ok', nodes: data.similarThreads || [] });
    } catch (err) {
      if (similar.text !== text) return;
      Object.assign(similar, { status: 'error', error: err });
    }
    showSimilar();
  }

  /** Updates the similar threads in place, so that typing in the form goes on undisturbed. */
  function showSimilar() {
    const box = document.getElementById('similar-threads');
    if (box) box.replaceChildren(...similarContent());
  }

  function similarContent() {
    const similar = draft.similar;
    if (similar.status === 'idle') return [];
    const heading = el('h3', null, t('similarHeading'));
    if (similar.status === 'loading') return [heading, loadingBlock()];
    if (similar.status === 'error') return [heading, errorBlock(similar.error, null)];
    if (similar.nodes.length === 0) return [heading, el('p', { class: 'muted' }, t('similarNone'))];
    return [heading, el('p', { class: 'lead' }, t('similarIntro')),
      el('ol', { class: 'thread-list' }, similar.nodes.map(threadItem))];
  }

  async function postThread() {
    const form = draft;
    const input = {
      kind: form.kind, title: form.title.trim(), body: form.body.trim(), tags: splitList(form.tags),
      language: form.language, visibility: form.visibility, idempotencyKey: form.key,
    };
    const payload = await submit(form, POST_THREAD, { input }, 'postThread');
    if (!payload || !payload.thread) return;
    draft = freshDraft();
    cache.delete('threads');
    cache.delete('stats');
    const target = `#/thread/${encodeURIComponent(payload.thread.id)}`;
    showNotice('posted', 'ok', null, target);
    go(target);
  }

  function newThreadView() {
    const heading = el('h2', { id: 'view-heading', tabindex: '-1' }, t('newHeading'));
    if (!signedIn()) {
      return el('section', { class: 'panel view', id: 'new-thread', 'aria-labelledby': 'view-heading' },
        heading, signInPrompt('signInToPost'));
    }
    const form = draft;
    if (!form.language) form.language = lang === 'cy' ? 'CY' : 'EN'; // the page's language when writing starts
    const title = textField(form, 'title', 'titleLabel', 'titleHint', { maxlength: 200, required: true, autocomplete: 'off' });
    title.querySelector('input').addEventListener('input', titleChanged);
    return el('section', { class: 'panel view', id: 'new-thread', 'aria-labelledby': 'view-heading' },
      backLink(),
      heading,
      el('form', {
        class: 'form', id: 'new-thread-form', novalidate: true,
        onsubmit: (event) => { event.preventDefault(); postThread(); },
      },
      radioField(form, 'kind', 'kindLegend', 'kindChoice', THREAD_KINDS),
      title,
      el('div', { id: 'similar-threads', class: 'similar', 'aria-live': 'polite' }, similarContent()),
      textField(form, 'body', 'bodyLabel', 'bodyHint', { rows: 8 }),
      textField(form, 'tags', 'tagsInputLabel', 'tagsHint', { autocomplete: 'off' }),
      selectField(form, 'language', 'languageLabel', 'threadLanguageName', THREAD_LANGUAGES),
      radioField(form, 'visibility', 'visibilityLegend', 'visibilityChoice', ['NETWORK', 'PUBLIC']),
      formFeedback(form),
      submitButton(form, 'postButton')));
  }

  /** The profile being edited, filled from the API once it has loaded. */
  const profileForm = formState('profile', {
    displayName: '', bio: '', languages: [], preferredLanguage: 'EN', expertise: '', loaded: null,
  });

  /** The API may give languages as a list or as "EN,CY" text: the page works with a list. */
  function languageList(value) {
    return Array.isArray(value) ? value : splitList(value);
  }

  function fillProfileForm(member) {
    Object.assign(profileForm, {
      displayName: member.displayName || '',
      bio: member.bio || '',
      languages: languageList(member.languages),
      preferredLanguage: member.preferredLanguage || 'EN',
      expertise: (member.expertise || []).join(', '),
      loaded: member,
    });
  }

  async function saveProfile() {
    const form = profileForm;
    const input = {
      displayName: form.displayName.trim(), bio: form.bio.trim(), languages: form.languages,
      preferredLanguage: form.preferredLanguage, expertise: splitList(form.expertise),
    };
    const payload = await submit(form, UPDATE_PROFILE, { input }, 'updateProfile');
    if (!payload || !payload.member) return;
    replaceLoaded('profile', payload.member);
    fillProfileForm(payload.member);
    if (session.viewer) session.viewer.displayName = payload.member.displayName;
    form.done = 'profileSaved';
    render({ keepFocus: true });
  }

  function profileView() {
    const heading = el('h2', { id: 'view-heading', tabindex: '-1' }, t('profileHeading'));
    if (!signedIn()) {
      return el('section', { class: 'panel view', id: 'profile', 'aria-labelledby': 'view-heading' },
        heading, signInPrompt('signInToEditProfile'));
    }
    const entry = load('profile', fetchProfile);
    const form = profileForm;
    return el('section', { class: 'panel view narrow', id: 'profile', 'aria-labelledby': 'view-heading' },
      backLink(),
      heading,
      entryView(entry, () => { load('profile', fetchProfile, true); render({ keepFocus: true }); }, (member) => {
        if (!member) return errorBlock(new ApiError('bad'), null);
        if (form.loaded !== member) fillProfileForm(member);
        return el('form', {
          class: 'form', id: 'profile-form', novalidate: true,
          onsubmit: (event) => { event.preventDefault(); saveProfile(); },
        },
        el('p', { class: 'lead' }, t('profileIntro')),
        textField(form, 'displayName', 'displayNameLabel', null, { autocomplete: 'name', maxlength: 100, required: true }),
        textField(form, 'bio', 'bioLabel', 'bioHint', { rows: 4 }),
        el('fieldset', { class: 'field choices' },
          el('legend', null, t('languagesLegend')),
          THREAD_LANGUAGES.map((code) => {
            const id = `profile-language-${code.toLowerCase()}`;
            return el('div', { class: 'choice' },
              el('input', {
                type: 'checkbox', id, value: code, checked: form.languages.includes(code),
                onchange: (event) => {
                  const others = form.languages.filter((c) => c !== code);
                  form.languages = event.target.checked ? others.concat(code) : others;
                },
              }),
              el('label', { for: id }, label('threadLanguageName', code)));
          })),
        selectField(form, 'preferredLanguage', 'preferredLanguageLabel', 'threadLanguageName', EMAIL_LANGUAGES),
        textField(form, 'expertise', 'expertiseLabel', 'expertiseHint', { autocomplete: 'off' }),
        formFeedback(form),
        submitButton(form, 'saveProfile'));
      }),
      settingsLink());
  }

  // ---------------------------------------------------------------------------------------------
  // Notifications: the list (#/notifications) and how the member hears of each kind (#/settings/notifications)
  // ---------------------------------------------------------------------------------------------

  /** What the list keeps while the member works through it: the filter, the page being loaded, what was done. */
  const inbox = formState('inbox', { unreadOnly: false, more: null });

  function inboxKey() {
    return `notifications:${inbox.unreadOnly ? 'unread' : 'all'}`;
  }

  function inboxFetcher() {
    const unreadOnly = inbox.unreadOnly;
    const version = unread.version;
    return () => fetchNotifications(unreadOnly, null).then((data) => {
      if (unread.version === version) setUnread(data.unreadCount); // unless marked read meanwhile
      return data;
    });
  }

  /** The list as loaded, if it is. */
  function shownInbox() {
    const entry = cache.get(inboxKey());
    return entry && entry.status === 'ok' ? entry.data : null;
  }

  /** What the other filter's list showed is out of date once something was marked read. */
  function forgetOtherInbox() {
    cache.delete(`notifications:${inbox.unreadOnly ? 'all' : 'unread'}`);
  }

  /**
   * Where a notification leads. A link into this explorer (same origin, a #/ route) becomes the bare hash, so it
   * opens in the page; any other http(s) address is followed as it is.
   */
  function notificationTarget(url) {
    let u;
    try {
      u = new URL(url, window.location.href);
    } catch (_) {
      return null;
    }
    if (u.origin === window.location.origin && u.pathname === '/' && !u.search && u.hash.startsWith('#/')) {
      return { href: u.hash, inApp: true };
    }
    const href = safeHttpUrl(u.href);
    return href ? { href, inApp: false } : null;
  }

  /** Opening a notification marks it read; a link out of the page waits for that before it leaves. */
  function openNotification(event, item, target, data) {
    if (item.readAt) return;
    item.readAt = new Date().toISOString();
    data.unreadCount = Math.max(0, (data.unreadCount || 0) - 1);
    forgetOtherInbox();
    if (unread.count > 0) setUnread(unread.count - 1);
    const sent = markRead({ ids: [item.id] }).catch(() => null);
    const plainClick = event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
    if (!target.inApp && plainClick) {
      event.preventDefault();
      sent.finally(() => window.location.assign(target.href));
    }
  }

  function notificationItem(item, index, data) {
    const isUnread = !item.readAt;
    const target = notificationTarget(item.url)
      || (item.thread ? { href: `#/thread/${encodeURIComponent(item.thread.id)}`, inApp: true } : null);
    const words = [
      isUnread ? el('span', { class: 'visually-hidden' }, `${t('unreadMarker')}: `) : null,
      el('span', { lang: data.language }, item.headline),
    ];
    const headline = target
      ? el('a', {
        href: target.href, id: `notification-${index}`, class: 'notification-link',
        rel: target.inApp ? null : 'noopener noreferrer',
        onclick: (event) => openNotification(event, item, target, data),
      }, words)
      : el('span', { id: `notification-${index}`, tabindex: '-1' }, words);
    return el('li', {
      class: `notification${isUnread ? ' notification--unread' : ''}`, 'data-notification-id': item.id,
      'data-unread': isUnread ? 'true' : null,
    },
    el('p', { class: 'notification-headline' },
      isUnread ? el('span', { class: 'badge badge--unread', 'aria-hidden': 'true' }, t('unreadMarker')) : null,
      ' ', headline),
    el('p', { class: 'thread-meta' },
      el('span', null, label('notificationKind', item.kind)),
      el('span', null, el('time', { datetime: item.createdAt }, formatDateTime(item.createdAt)))));
  }

  /** "Mark all as read": everything up to the newest notification shown, so one that arrived since stays unread. */
  async function markAllRead() {
    const data = shownInbox();
    const form = inbox;
    if (!data || data.items.length === 0 || form.busy) return;
    Object.assign(form, { busy: true, userErrors: [], error: null, problem: null, done: null });
    render({ keepFocus: true });
    try {
      const payload = await markRead({ upTo: data.items[0].id });
      if (payload.userErrors && payload.userErrors.length > 0) {
        form.userErrors = payload.userErrors;
        return;
      }
      const now = new Date().toISOString();
      for (const item of data.items) if (!item.readAt) item.readAt = now;
      data.unreadCount = payload.unreadCount;
      // Everything older than the newest shown is read now: a list of unread ones has nothing left to show.
      if (form.unreadOnly) Object.assign(data, { items: [], totalCount: 0, hasNextPage: false, endCursor: null });
      forgetOtherInbox();
      form.done = 'markedAllRead';
    } catch (err) {
      form.error = err;
    } finally {
      form.busy = false;
      render({ keepFocus: true });
    }
    // The button goes once nothing shown is unread: the reader is then taken to what happened.
    if (form.done && !document.getElementById('mark-all-read')) focusById('inbox-done');
  }

  async function loadMoreNotifications() {
    const entry = cache.get(inboxKey());
    const data = entry && entry.status === 'ok' ? entry.data : null;
    if (!data || !data.hasNextPage || (inbox.more && inbox.more.status === 'loading')) return;
    const more = { status: 'loading', error: null };
    inbox.more = more;
    render({ keepFocus: true });
    const first = data.items.length;
    try {
      const next = await fetchNotifications(inbox.unreadOnly, data.endCursor);
      if (inbox.more !== more || cache.get(inboxKey()) !== entry) return;
      data.items = data.items.concat(next.items);
      Object.assign(data, {
        hasNextPage: next.hasNextPage, endCursor: next.endCursor, totalCount: next.totalCount,
        unreadCount: next.unreadCount,
      });
      inbox.more = null;
      render({ keepFocus: true });
      focusById(`notification-${first}`); // carry on reading where the new page starts
    } catch (err) {
      if (inbox.more !== more) return;
      inbox.more = { status: 'error', error: err };
      render({ keepFocus: true });
    }
  }

  function settingsLink() {
    return el('p', { class: 'settings-link' },
      el('a', { href: '#/settings/notifications', id: 'notification-settings-link' }, t('notificationSettingsLink')));
  }

  function notificationsView() {
    const heading = el('h2', { id: 'view-heading', tabindex: '-1' }, t('notificationsHeading'));
    if (!signedIn()) {
      return el('section', { class: 'panel view', id: 'notifications', 'aria-labelledby': 'view-heading' },
        heading, signInPrompt('signInToSeeNotifications'));
    }
    const key = inboxKey();
    const fetcher = inboxFetcher();
    const entry = load(key, fetcher);
    const form = inbox;
    const toggle = el('div', { class: 'choice' },
      el('input', {
        type: 'checkbox', id: 'notifications-unread-only', checked: form.unreadOnly,
        onchange: (event) => {
          Object.assign(form, { unreadOnly: event.target.checked, more: null, done: null, error: null, userErrors: [] });
          load(inboxKey(), inboxFetcher(), true);
          render({ keepFocus: true });
        },
      }),
      el('label', { for: 'notifications-unread-only' }, t('unreadOnlyLabel')));
    return el('section', { class: 'panel view', id: 'notifications', 'aria-labelledby': 'view-heading' },
      backLink(),
      heading,
      el('p', { class: 'lead' }, t('notificationsIntro')),
      settingsLink(),
      el('div', { class: 'notification-tools' }, toggle),
      entryView(entry, () => { load(key, fetcher, true); render({ keepFocus: true }); }, (data) => {
        const unreadShown = data.items.some((item) => !item.readAt);
        const markAll = unreadShown || (data.hasNextPage && data.unreadCount > 0)
          ? el('p', { class: 'mark-all' }, el('button', {
            type: 'button', class: 'button button--secondary', id: 'mark-all-read',
            'aria-disabled': form.busy ? 'true' : null, onclick: markAllRead,
          }, form.busy ? t('working') : t('markAllRead')))
          : null;
        const feedback = formFeedback(Object.assign({}, form, { done: null }));
        if (form.done) {
          feedback.push(el('p', { class: 'notice notice--ok', role: 'status', id: 'inbox-done', tabindex: '-1' },
            t(form.done)));
        }
        if (data.items.length === 0) {
          return [...feedback, el('p', { class: 'muted notifications-empty', id: 'notifications-empty' },
            t(form.unreadOnly ? 'notificationsNoneUnread' : 'notificationsNone'))];
        }
        const more = form.more;
        return [
          el('p', { class: 'notifications-count' },
            `${tn('notificationsTotal', data.totalCount)} \u00b7 ${t('notificationsUnread', { n: formatNumber(data.unreadCount) })}`),
          markAll,
          ...feedback,
          el('ol', { class: 'notification-list', id: 'notification-list' },
            data.items.map((item, index) => notificationItem(item, index, data))),
          more && more.status === 'error' ? errorBlock(more.error, loadMoreNotifications) : null,
          data.hasNextPage
            ? el('p', { class: 'more' }, el('button', {
              type: 'button', class: 'button button--secondary', id: 'notifications-more',
              'aria-disabled': more && more.status === 'loading' ? 'true' : null, onclick: loadMoreNotifications,
            }, more && more.status === 'loading' ? t('loading') : t('moreButton')))
            : null,
        ];
      }));
  }

  const EMAIL_CADENCES = ['IMMEDIATELY', 'DAILY', 'WEEKLY', 'NEVER'];
  const DISCORD_CADENCES = ['IMMEDIATELY', 'NEVER'];

  /** The settings being edited: each kind's { email, discord }, filled from the API once it has loaded. */
  const settingsForm = formState('settings', { choices: [], loaded: null });

  function fillSettingsForm(viewer) {
    Object.assign(settingsForm, {
      choices: viewer.notificationPreferences.map((p) => ({ kind: p.kind, email: p.email, discord: p.discord })),
      loaded: viewer,
    });
  }

  /** Sends only what the member changed: a kind never touched keeps following the network's defaults. */
  async function saveSettings() {
    const form = settingsForm;
    const viewer = form.loaded;
    if (!viewer) return;
    const before = new Map(viewer.notificationPreferences.map((p) => [p.kind, p]));
    const preferences = [];
    for (const choice of form.choices) {
      const was = before.get(choice.kind) || {};
      const change = { kind: choice.kind };
      if (choice.email !== was.email) change.email = choice.email;
      if (viewer.discordLinked && choice.discord !== was.discord) change.discord = choice.discord;
      if (Object.keys(change).length > 1) preferences.push(change);
    }
    if (preferences.length === 0) {
      Object.assign(form, { userErrors: [], error: null, problem: null, done: 'settingsUnchanged' });
      render({ keepFocus: true });
      return;
    }
    const payload = await submit(form, UPDATE_PREFERENCES, { input: { preferences } }, 'updateNotificationPreferences');
    if (!payload || !Array.isArray(payload.preferences)) return;
    const saved = Object.assign({}, viewer, { notificationPreferences: payload.preferences });
    replaceLoaded('notificationSettings', saved);
    fillSettingsForm(saved);
    form.done = 'settingsSaved';
    render({ keepFocus: true });
  }

  /** One channel's choice for one kind, labelled with both (the visible label says only the channel). */
  function cadenceSelect(choice, channel, values, disabled, describedBy) {
    const form = settingsForm;
    const id = `settings-${choice.kind.toLowerCase()}-${channel}`;
    const channelName = t(channel === 'email' ? 'channelEmail' : 'channelDiscord');
    const options = values.includes(choice[channel]) ? values : values.concat(choice[channel]);
    return el('div', { class: 'field preference-channel' },
      el('label', { for: id }, channelName),
      el('select', {
        id, name: id, disabled,
        'aria-label': t('channelFor', { channel: channelName, kind: label('notificationKind', choice.kind) }),
        'aria-describedby': describedBy,
        onchange: (event) => {
          choice[channel] = event.target.value;
          form.done = null;
          render({ keepFocus: true });
        },
      }, options.map((value) => el('option', { value, selected: choice[channel] === value }, label('cadence', value)))));
  }

  function preferenceRow(choice, linked) {
    const kind = String(choice.kind).toLowerCase();
    const hintId = `settings-${kind}-hint`;
    const off = choice.email === 'NEVER' && choice.discord === 'NEVER';
    return el('fieldset', { class: `preference${off ? ' preference--off' : ''}`, 'data-kind': choice.kind },
      el('legend', null, label('notificationKind', choice.kind)),
      el('p', { class: 'hint', id: hintId }, label('notificationKindHint', choice.kind)),
      el('div', { class: 'preference-channels' },
        cadenceSelect(choice, 'email', EMAIL_CADENCES, false, hintId),
        cadenceSelect(choice, 'discord', DISCORD_CADENCES, !linked, linked ? hintId : `${hintId} settings-discord-note`)),
      off ? el('p', { class: 'preference-off-note' }, t('kindOff')) : null);
  }

  function settingsView() {
    const heading = el('h2', { id: 'view-heading', tabindex: '-1' }, t('settingsHeading'));
    if (!signedIn()) {
      return el('section', { class: 'panel view', id: 'notification-settings', 'aria-labelledby': 'view-heading' },
        heading, signInPrompt('signInToChangeSettings'));
    }
    const entry = load('notificationSettings', fetchNotificationSettings);
    const form = settingsForm;
    return el('section', { class: 'panel view narrow', id: 'notification-settings', 'aria-labelledby': 'view-heading' },
      el('p', { class: 'back' }, el('a', { href: '#/notifications' }, `\u2190 ${t('notificationsHeading')}`)),
      heading,
      entryView(entry, () => { load('notificationSettings', fetchNotificationSettings, true); render({ keepFocus: true }); }, (viewer) => {
        if (form.loaded !== viewer) fillSettingsForm(viewer);
        const linked = Boolean(viewer.discordLinked);
        return el('form', {
          class: 'form', id: 'settings-form', novalidate: true,
          onsubmit: (event) => { event.preventDefault(); saveSettings(); },
        },
        el('p', { class: 'lead' }, t('settingsIntro')),
        el('p', { id: 'settings-defaults' }, t('settingsDefaults')),
        el('p', { class: 'hint' }, t('settingsOffNote')),
        linked ? null : el('p', { class: 'notice notice--info', id: 'settings-discord-note' }, t('discordNotLinked')),
        form.choices.map((choice) => preferenceRow(choice, linked)),
        formFeedback(form),
        submitButton(form, 'saveSettings'));
      }));
  }

  /** A collaboration on its own page: where the notifications about it lead. */
  function collaborationView(id) {
    const key = `collaboration:${id}`;
    const fetcher = () => fetchCollaboration(id);
    const entry = load(key, fetcher);
    return el('div', { class: 'panel view' }, backLink(),
      entryView(entry, () => { load(key, fetcher, true); render({ keepFocus: true }); }, (c) => {
        if (!c) {
          return el('div', { class: 'notice' }, el('h2', { id: 'view-heading', tabindex: '-1' }, t('collaborationNotFound')),
            signedIn() ? null : signInPrompt('signInToSee'));
        }
        document.title = `${c.title} \u2014 ${t('siteTitle')}`;
        return el('article', { class: 'collaboration', 'data-collaboration-id': c.id },
          el('h2', { id: 'view-heading', tabindex: '-1' }, c.title),
          collaborationDetails(c));
      }));
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
  // Routing: #/ (overview), #/partners etc. (overview, scrolled), #/thread/<id>, #/collaboration/<id>,
  // #/search?q=<text>, #/sign-in, #/join, #/new (ask or share), #/profile, #/notifications,
  // #/settings/notifications
  // ---------------------------------------------------------------------------------------------

  const SECTIONS = ['partners', 'figures', 'threads', 'collaborations'];
  const VIEWS = ['sign-in', 'join', 'new', 'profile', 'notifications', 'settings/notifications'];

  function parseRoute() {
    const hash = window.location.hash || '#/';
    if (!hash.startsWith('#/')) return null; // an in-page anchor (e.g. the skip link): not a route
    const path = hash.slice(2);
    let m = /^thread\/(.+)$/.exec(path);
    if (m) return { name: 'thread', id: safeDecode(m[1]) };
    m = /^collaboration\/(.+)$/.exec(path);
    if (m) return { name: 'collaboration', id: safeDecode(m[1]) };
    m = /^search\?q=(.*)$/.exec(path);
    if (m) return { name: 'search', q: safeDecode(m[1].replace(/\+/g, ' ')).trim() };
    if (VIEWS.includes(path)) return { name: path };
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
    else if (route.name === 'sign-in') content = signInView();
    else if (route.name === 'join') content = joinView();
    else if (route.name === 'new') content = newThreadView();
    else if (route.name === 'profile') content = profileView();
    else if (route.name === 'notifications') content = notificationsView();
    else if (route.name === 'settings/notifications') content = settingsView();
    else if (route.name === 'collaboration') content = collaborationView(route.id);
    else content = overviewView();

    // Keep the focused element's identity (and the caret in a text field) where possible when the page is
    // drawn again: data arrived, a form was sent, the language changed.
    const active = document.activeElement;
    const focusedId = keepFocus && active && main.contains(active) ? active.id : null;
    const caret = focusedId && typeof active.selectionStart === 'number'
      ? [active.selectionStart, active.selectionEnd, active.selectionDirection] : null;
    const scrollY = window.scrollY;
    main.replaceChildren(...[noticeBlock()].concat(content).filter(Boolean));
    if (keepFocus) {
      window.scrollTo(0, scrollY);
      if (focusedId) {
        const again = document.getElementById(focusedId);
        if (again) {
          again.focus({ preventScroll: true });
          if (caret && typeof again.setSelectionRange === 'function') again.setSelectionRange(...caret);
        }
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

  /** A note for the reader about what just happened (signed in, posted, session ended), shown at `hash`. */
  let notice = null;

  function showNotice(key, kind, vars, hash) {
    notice = { key, kind, vars: vars || null, hash: hash || window.location.hash || '#/' };
  }

  function noticeBlock() {
    if (!notice) return null;
    return el('p', { class: `notice notice--${notice.kind} page-notice`, id: 'page-notice', role: 'status', tabindex: '-1' },
      t(notice.key, notice.vars));
  }

  /** Goes to a view, drawing it again if the page is there already. */
  function go(hash) {
    if (window.location.hash === hash) navigate(false);
    else window.location.hash = hash;
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
    if (notice && notice.hash !== (window.location.hash || '#/')) notice = null;
    const input = document.getElementById('search-input');
    input.value = route.name === 'search' ? route.q : '';
    // A new visit to a view tries again what failed before; a mere re-render never does.
    for (const [key, entry] of cache) if (entry.status === 'error') cache.delete(key);
    // A thread seen before may have new replies since; the notifications and their settings may have changed.
    if (route.name === 'thread') refreshQuietly(`thread:${route.id}`, () => fetchThread(route.id));
    if (route.name === 'notifications') {
      inbox.done = null;
      inbox.more = null;
      refreshQuietly(inboxKey(), inboxFetcher());
    }
    if (route.name === 'settings/notifications') {
      Object.assign(settingsForm, { done: null, userErrors: [], error: null });
      refreshQuietly('notificationSettings', fetchNotificationSettings);
    }
    if (signedIn()) refreshUnread();
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
    // Something just happened (signed in, posted): read that first.
    const note = document.getElementById('page-notice');
    if (note && !isFirst) note.focus({ preventScroll: true });
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
    const member = signedIn();
    for (const node of document.querySelectorAll('[data-signed-in]')) node.hidden = !member;
    for (const node of document.querySelectorAll('[data-signed-out]')) node.hidden = member;
    const account = document.getElementById('account-name');
    if (member && session.viewer) {
      // "Signed in as <name>", the name linking to the profile, in whichever order the language puts them.
      const [before, after] = t('signedInAs').split('{name}');
      account.replaceChildren(before || '',
        el('a', { href: '#/profile', id: 'profile-link', title: t('profileLink') }, session.viewer.displayName),
        after || '');
    } else {
      account.replaceChildren();
    }
    document.getElementById('scope-note').textContent = t(member ? 'membersScope' : 'publicOnly');
    showUnread();
  }

  /** Signs out: the server ends the session, and this browser forgets it whatever the server answers. */
  async function signOut() {
    const token = session.token;
    if (!token) return;
    let failure = null;
    try {
      await graphql(SIGN_OUT);
    } catch (err) {
      failure = err;
    }
    if (session.token === token) forgetSession();
    if (failure && !(failure.codes || []).includes('UNAUTHENTICATED')) {
      showNotice('actionFailed', 'error', { message: failureText(failure) }, '#/');
    } else {
      showNotice('signedOut', 'ok', null, '#/');
    }
    go('#/');
  }

  /**
   * The links in the e-mails: /sign-in?code=…&email=… and /join?code=…. The code is taken into the page and the
   * query removed from the address bar at once (so it stays out of the history and any bookmark); the page
   * then shows the view that completes the step.
   */
  function takeCodeFromAddress() {
    const path = window.location.pathname;
    if (path !== '/join' && path !== '/sign-in') return;
    const params = new URLSearchParams(window.location.search);
    const code = (params.get('code') || '').trim();
    const email = (params.get('email') || '').trim();
    window.history.replaceState(null, '', `/#/${path.slice(1)}`);
    if (path === '/join') {
      joinForm.code = code;
    } else if (code) {
      Object.assign(signInForm, { step: 'code', code, email, fromLink: true });
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
    document.getElementById('sign-out').addEventListener('click', signOut);
    document.getElementById('sign-in-link').addEventListener('click', rememberReturn);
    document.getElementById('notifications-link').addEventListener('click', (event) => {
      if (window.location.hash !== '#/notifications') return;
      event.preventDefault(); // already there: look again
      navigate(false);
    });
    // Signing in or out in another tab holds here too.
    window.addEventListener('storage', (event) => {
      if (event.key !== SESSION_KEY || event.newValue === session.token) return;
      session.token = event.newValue;
      session.viewer = null;
      forgetLoaded();
      checkSession();
      render({ keepFocus: true });
      refreshUnread();
    });
    // The count in the header is asked for while the tab is visible, and at once when it comes back into view.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') refreshUnread();
      else scheduleUnread();
    });
    window.addEventListener('hashchange', () => navigate(false));
    takeCodeFromAddress();
    checkSession();
    navigate(true);
    if (signInForm.fromLink) completeCode();
  }

  // Exposed for debugging in the console (never the session token).
  window.lknExplorer = { searchThreads, setLanguage, catalogue: CATALOGUE };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
