//! The words the demo network is written in: topics, tags, titles in the network's
//! languages, names and funders, from which the generator draws.

use lkn_entity::vocabulary::CollaborationKind;

pub(super) const TAGS: &[&str] = &[
    "events",
    "reading",
    "digital-inclusion",
    "local-history",
    "business-and-ip",
    "health-and-wellbeing",
    "children-and-families",
    "young-people",
    "family-history",
    "exhibitions",
    "collections",
    "volunteering",
    "learning",
    "coding-clubs",
    "makerspaces",
    "author-talks",
    "reading-groups",
    "rhymetime",
    "storytime",
    "archives",
    "accessibility",
    "funding",
    "evaluation",
    "marketing",
    "social-media",
    "welsh-language",
    "gaelic",
    "sustainability",
    "partnerships",
    "stock-management",
    "community-engagement",
    "heritage",
];

/// (topic phrase, its tags).
pub(super) const TOPICS: &[(&str, &[&str])] = &[
    ("storytime sessions for under-fives", &["storytime", "children-and-families", "events"]),
    ("rhymetime in branch libraries", &["rhymetime", "children-and-families"]),
    ("digital skills drop-ins for older residents", &["digital-inclusion", "learning"]),
    ("a local history exhibition on the textile mills", &["local-history", "exhibitions", "heritage"]),
    ("Business and IP Centre workshops for start-ups", &["business-and-ip", "events"]),
    ("reading groups for people living with dementia", &["reading-groups", "health-and-wellbeing"]),
    ("family history help desks", &["family-history", "archives"]),
    ("code clubs for teenagers", &["coding-clubs", "young-people", "learning"]),
    ("a makerspace with 3D printers", &["makerspaces", "learning"]),
    ("author talks streamed to several libraries", &["author-talks", "events", "partnerships"]),
    ("volunteer recruitment after the pandemic", &["volunteering", "community-engagement"]),
    ("touring a British Library exhibition", &["exhibitions", "collections", "partnerships"]),
    ("measuring the impact of wellbeing programmes", &["evaluation", "health-and-wellbeing"]),
    ("bidding to Arts Council England for a joint programme", &["funding", "partnerships"]),
    ("making our buildings more accessible", &["accessibility", "community-engagement"]),
    ("social media campaigns for the Summer Reading Challenge", &["social-media", "marketing", "reading"]),
    ("digitising photograph collections", &["collections", "archives", "heritage"]),
    ("bilingual Welsh and English events", &["welsh-language", "events"]),
    ("Gaelic storytelling sessions", &["gaelic", "storytime"]),
    ("cutting the carbon footprint of mobile libraries", &["sustainability"]),
    ("reader development with local authors", &["reading", "author-talks"]),
    ("stock rotation between branches", &["stock-management"]),
    ("homework clubs in the evenings", &["young-people", "learning"]),
    ("loaning laptops and data to digitally excluded residents", &["digital-inclusion", "community-engagement"]),
];

pub(super) const QUESTION_TEMPLATES: &[&str] = &[
    "How do you run {t}?",
    "Has anyone evaluated {t}?",
    "What worked for you with {t}?",
    "Looking for advice on {t}",
    "Who has experience of {t}?",
];
pub(super) const IDEA_TEMPLATES: &[&str] =
    &["Idea: a network-wide approach to {t}", "Could we share {t} across partners?", "Proposal for joint work on {t}"];
pub(super) const RESOURCE_TEMPLATES: &[&str] =
    &["Toolkit: {t}", "Our evaluation report on {t}", "Templates and checklists for {t}", "Case study: {t}"];
pub(super) const WELSH_TITLES: &[&str] = &[
    "Sesiynau amser stori dwyieithog i blant bach",
    "Sut ydych chi'n cynnal clybiau codio yn y llyfrgell?",
    "Syniad: arddangosfa hanes lleol ar y cyd",
    "Adnodd: canllaw digwyddiadau Cymraeg",
    "Gwirfoddolwyr yn y llyfrgell: beth sy'n gweithio?",
    "Cynhwysiant digidol i bobl hŷn yn ein cymunedau",
];
pub(super) const WELSH_BODY: &str = "Rydym yn cynllunio gweithgareddau newydd yn ein llyfrgelloedd ac yn awyddus i ddysgu \
    gan bartneriaid eraill yn y rhwydwaith. Mae'r sesiynau'n ddwyieithog ac yn agored i bawb yn y gymuned. \
    Byddem yn ddiolchgar am unrhyw gyngor, adnoddau neu brofiad sydd gennych.";
pub(super) const GAELIC_TITLES: &[&str] =
    &["Seiseanan sgeulachd sa Ghàidhlig do chloinn", "Tachartasan leabhraichean sa Ghàidhlig"];
pub(super) const IRISH_TITLES: &[&str] = &["Seisiúin scéalaíochta as Gaeilge do pháistí"];
pub(super) const OPENINGS: &[&str] = &[
    "We are planning a new season of activity and would value the network's experience.",
    "Our service has tried this for two years now and we want to compare notes.",
    "Colleagues at several branches have asked about this, so I am gathering what works.",
    "We have a small budget for this year and want to spend it where it makes a difference.",
];
pub(super) const MIDDLES: &[&str] = &[
    "Attendance has been good on Saturdays but weekday sessions struggle to fill.",
    "Staff time is the main constraint, and volunteers need training and support.",
    "We partnered with the local college and a community health team.",
    "Feedback forms show people value the social side as much as the content.",
    "We would like to reach families who do not usually use the library.",
    "Evaluation has been light so far; we need better evidence for funders.",
];
pub(super) const CLOSINGS: &[&str] = &[
    "Any templates, risk assessments or evaluation forms would be very welcome.",
    "Happy to share our materials in return.",
    "It would be great to hear from libraries of a similar size.",
    "If there is interest we could turn this into a joint programme.",
];
pub(super) const REPLIES: &[&str] = &[
    "We run this monthly and book through our events system; the key was a regular slot.",
    "Our evaluation used a short survey and three case studies. Happy to send the form.",
    "We found partnering with the local health trust brought referrals we could not reach alone.",
    "Volunteers made it sustainable for us, with one staff lead per branch.",
    "Take a look at the toolkit we shared last year; the checklist covers most of this.",
    "We tried it and attendance dropped after the first term, so we moved it to half-term holidays.",
    "Funding came from a small Arts Council grant, and the bid template is in the shared drive.",
    "Diolch! We run ours bilingually and it has worked well.",
];
pub(super) const FIRST_NAMES: &[&str] = &[
    "Amira", "Ben", "Catrin", "Dylan", "Eilidh", "Fiona", "Gareth", "Hannah", "Imran", "Jess", "Kwame", "Lowri",
    "Mairi", "Niamh", "Owen", "Priya", "Rhys", "Siobhan", "Tom", "Zara",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "Ahmed",
    "Brown",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Griffiths",
    "Hughes",
    "Jones",
    "Kelly",
    "MacLeod",
    "Murphy",
    "Patel",
    "Roberts",
    "Smith",
    "Taylor",
    "Thomas",
    "Walsh",
    "Williams",
    "Wilson",
];
pub(super) const COLLABORATION_TITLES: &[(&str, CollaborationKind)] = &[
    ("Summer reading festival across the network", CollaborationKind::Programme),
    ("Touring exhibition: Writing Britain's places", CollaborationKind::Exhibition),
    ("Joint bid for a digital inclusion programme", CollaborationKind::FundingApplication),
    ("Shared podcast series on local history", CollaborationKind::SharedContent),
    ("Evidence of libraries' wellbeing impact", CollaborationKind::EvidenceGathering),
    ("Author tour in four nations", CollaborationKind::Activity),
    ("Business start-up week", CollaborationKind::Activity),
    ("Family history month", CollaborationKind::Programme),
];
pub(super) const FUNDERS: &[&str] = &[
    "Arts Council England",
    "National Lottery Heritage Fund",
    "Creative Scotland",
    "Welsh Government",
    "Paul Hamlyn Foundation",
];
