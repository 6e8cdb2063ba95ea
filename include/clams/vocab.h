/* clams/vocab.h: the CLAMS vocabulary's type URIs as compile-time constants.
 *
 * CLAMS_MMIF11_<TYPE> is the type in the vocabulary of MMIF 1.1.0
 * (http://mmif.clams.ai/vocabulary/<Type>/<vN>, the versions of that spec's
 * type table); CLAMS_MMIF12_<TYPE> is the type in MMIF 1.2.0's vocabulary
 * (http://clams.ai/vocabulary/type/<Type>/<vN>) for the types whose 1.2.0
 * version clams-c knows (those published 1.2.0 apps declare). They are
 * string literals, so they work in static initialisers and concatenate:
 *
 *     static const clams_io_spec_t inputs[] = {{.type = CLAMS_MMIF11_TEXTDOCUMENT}, {0}};
 *
 * The same table answers clams_vocab_type_uri() at run time (src/mmif/vocab.c
 * is built from these names), so the two cannot disagree. To match a type
 * read from a document, use clams_type_matches (any version, any URI form).
 */
#ifndef CLAMS_VOCAB_H
#define CLAMS_VOCAB_H

#define CLAMS_MMIF11_VOCABULARY "http://mmif.clams.ai/vocabulary/"
#define CLAMS_MMIF12_VOCABULARY "http://clams.ai/vocabulary/type/"

/* MMIF 1.1.0 */
#define CLAMS_MMIF11_THING           CLAMS_MMIF11_VOCABULARY "Thing/v1"
#define CLAMS_MMIF11_ANNOTATION      CLAMS_MMIF11_VOCABULARY "Annotation/v6"
#define CLAMS_MMIF11_REGION          CLAMS_MMIF11_VOCABULARY "Region/v5"
#define CLAMS_MMIF11_TIMEPOINT       CLAMS_MMIF11_VOCABULARY "TimePoint/v5"
#define CLAMS_MMIF11_INTERVAL        CLAMS_MMIF11_VOCABULARY "Interval/v5"
#define CLAMS_MMIF11_SPAN            CLAMS_MMIF11_VOCABULARY "Span/v5"
#define CLAMS_MMIF11_TOKEN           CLAMS_MMIF11_VOCABULARY "Token/v1"
#define CLAMS_MMIF11_SENTENCE        CLAMS_MMIF11_VOCABULARY "Sentence/v1"
#define CLAMS_MMIF11_PARAGRAPH       CLAMS_MMIF11_VOCABULARY "Paragraph/v1"
#define CLAMS_MMIF11_NAMEDENTITY     CLAMS_MMIF11_VOCABULARY "NamedEntity/v1"
#define CLAMS_MMIF11_NOUNCHUNK       CLAMS_MMIF11_VOCABULARY "NounChunk/v1"
#define CLAMS_MMIF11_VERBCHUNK       CLAMS_MMIF11_VOCABULARY "VerbChunk/v1"
#define CLAMS_MMIF11_TIMEFRAME       CLAMS_MMIF11_VOCABULARY "TimeFrame/v6"
#define CLAMS_MMIF11_CHAPTER         CLAMS_MMIF11_VOCABULARY "Chapter/v6"
#define CLAMS_MMIF11_POLYGON         CLAMS_MMIF11_VOCABULARY "Polygon/v5"
#define CLAMS_MMIF11_BOUNDINGBOX     CLAMS_MMIF11_VOCABULARY "BoundingBox/v5"
#define CLAMS_MMIF11_VIDEOOBJECT     CLAMS_MMIF11_VOCABULARY "VideoObject/v5"
#define CLAMS_MMIF11_RELATION        CLAMS_MMIF11_VOCABULARY "Relation/v5"
#define CLAMS_MMIF11_GENERICRELATION CLAMS_MMIF11_VOCABULARY "GenericRelation/v1"
#define CLAMS_MMIF11_SEMANTICROLE    CLAMS_MMIF11_VOCABULARY "SemanticRole/v1"
#define CLAMS_MMIF11_CONSTITUENT     CLAMS_MMIF11_VOCABULARY "Constituent/v1"
#define CLAMS_MMIF11_DEPENDENCY      CLAMS_MMIF11_VOCABULARY "Dependency/v1"
#define CLAMS_MMIF11_DOCUMENT        CLAMS_MMIF11_VOCABULARY "Document/v1"
#define CLAMS_MMIF11_VIDEODOCUMENT   CLAMS_MMIF11_VOCABULARY "VideoDocument/v1"
#define CLAMS_MMIF11_AUDIODOCUMENT   CLAMS_MMIF11_VOCABULARY "AudioDocument/v1"
#define CLAMS_MMIF11_IMAGEDOCUMENT   CLAMS_MMIF11_VOCABULARY "ImageDocument/v1"
#define CLAMS_MMIF11_TEXTDOCUMENT    CLAMS_MMIF11_VOCABULARY "TextDocument/v1"
#define CLAMS_MMIF11_ALIGNMENT       CLAMS_MMIF11_VOCABULARY "Alignment/v1"

/* MMIF 1.2.0 (the types clams-c knows there) */
#define CLAMS_MMIF12_TEXTDOCUMENT  CLAMS_MMIF12_VOCABULARY "TextDocument/v2"
#define CLAMS_MMIF12_VIDEODOCUMENT CLAMS_MMIF12_VOCABULARY "VideoDocument/v2"
#define CLAMS_MMIF12_AUDIODOCUMENT CLAMS_MMIF12_VOCABULARY "AudioDocument/v2"
#define CLAMS_MMIF12_TIMEFRAME     CLAMS_MMIF12_VOCABULARY "TimeFrame/v6"
#define CLAMS_MMIF12_TIMEPOINT     CLAMS_MMIF12_VOCABULARY "TimePoint/v5"
#define CLAMS_MMIF12_ALIGNMENT     CLAMS_MMIF12_VOCABULARY "Alignment/v1"

/* Every constant above with its short name, for the library's lookups and
 * for apps that list types: X(short name, URI constant). */
#define CLAMS_MMIF11_TYPES(X)                          \
    X("Thing", CLAMS_MMIF11_THING)                     \
    X("Annotation", CLAMS_MMIF11_ANNOTATION)           \
    X("Region", CLAMS_MMIF11_REGION)                   \
    X("TimePoint", CLAMS_MMIF11_TIMEPOINT)             \
    X("Interval", CLAMS_MMIF11_INTERVAL)               \
    X("Span", CLAMS_MMIF11_SPAN)                       \
    X("Token", CLAMS_MMIF11_TOKEN)                     \
    X("Sentence", CLAMS_MMIF11_SENTENCE)               \
    X("Paragraph", CLAMS_MMIF11_PARAGRAPH)             \
    X("NamedEntity", CLAMS_MMIF11_NAMEDENTITY)         \
    X("NounChunk", CLAMS_MMIF11_NOUNCHUNK)             \
    X("VerbChunk", CLAMS_MMIF11_VERBCHUNK)             \
    X("TimeFrame", CLAMS_MMIF11_TIMEFRAME)             \
    X("Chapter", CLAMS_MMIF11_CHAPTER)                 \
    X("Polygon", CLAMS_MMIF11_POLYGON)                 \
    X("BoundingBox", CLAMS_MMIF11_BOUNDINGBOX)         \
    X("VideoObject", CLAMS_MMIF11_VIDEOOBJECT)         \
    X("Relation", CLAMS_MMIF11_RELATION)               \
    X("GenericRelation", CLAMS_MMIF11_GENERICRELATION) \
    X("SemanticRole", CLAMS_MMIF11_SEMANTICROLE)       \
    X("Constituent", CLAMS_MMIF11_CONSTITUENT)         \
    X("Dependency", CLAMS_MMIF11_DEPENDENCY)           \
    X("Document", CLAMS_MMIF11_DOCUMENT)               \
    X("VideoDocument", CLAMS_MMIF11_VIDEODOCUMENT)     \
    X("AudioDocument", CLAMS_MMIF11_AUDIODOCUMENT)     \
    X("ImageDocument", CLAMS_MMIF11_IMAGEDOCUMENT)     \
    X("TextDocument", CLAMS_MMIF11_TEXTDOCUMENT)       \
    X("Alignment", CLAMS_MMIF11_ALIGNMENT)
#define CLAMS_MMIF12_TYPES(X)                      \
    X("TextDocument", CLAMS_MMIF12_TEXTDOCUMENT)   \
    X("VideoDocument", CLAMS_MMIF12_VIDEODOCUMENT) \
    X("AudioDocument", CLAMS_MMIF12_AUDIODOCUMENT) \
    X("TimeFrame", CLAMS_MMIF12_TIMEFRAME)         \
    X("TimePoint", CLAMS_MMIF12_TIMEPOINT)         \
    X("Alignment", CLAMS_MMIF12_ALIGNMENT)

#endif
