/*
 * MLIR's textual format. io.hlo4j.mlir.parse.OpParser invokes these rules one at a time on a shared token
 * stream, so that each op's pretty syntax (Java code declared with the op) can call back into them. Structure
 * is checked here; meaning (which bare identifier is a type, whether a literal fits its type) is checked by
 * the builders. The nesting of operations, regions and blocks is driven from Java because a pretty op's
 * syntax is not part of this grammar; in EBNF, with the rules below:
 *
 *   file             : (aliasDefinition | operation)* EOF ;
 *   operation        : resultList? (genericOperation | prettyOperation) location? ;
 *   genericOperation : STRING genericOperands properties? (LPAREN region (COMMA region)* RPAREN)?
 *                      dictionaryAttr? COLON functionType ;
 *   prettyOperation  : BARE_ID <the op's own syntax, e.g. module: AT_ID? (attributes dictionaryAttr)? region> ;
 *   region           : LBRACE (blockHeader? operation*)* RBRACE ;
 */
parser grammar MlirGrammar;

options { tokenVocab = MlirLexer; }

// ---- pieces of operations and blocks ---------------------------------------------------------------
// %0, %1:2, %values =
resultList : resultGroup (COMMA resultGroup)* EQUAL ;
resultGroup : PERCENT_ID (COLON INTEGER)? ;
// ("op.name")(%a, %b#1)
genericOperands : LPAREN (PERCENT_ID (COMMA PERCENT_ID)*)? RPAREN ;
// <{inherent = attributes}>
properties : LANGLE dictionaryAttr RANGLE ;
// ^bb0(%a: tensor<f32> loc(...), %b: ...):
blockHeader : CARET_ID (LPAREN (blockArgument (COMMA blockArgument)*)? RPAREN)? COLON ;
blockArgument : PERCENT_ID COLON type_ location? ;
// #alias = attribute, !alias = type (top level; uses may come first, as #loc aliases do)
aliasDefinition : HASH_ID EQUAL attribute | BANG_ID EQUAL type_ ;

// ---- types ------------------------------------------------------------------------------------------
type_
    : tensorType
    | complexType
    | tupleType
    | functionType
    | quantType
    | opaqueBuiltinType
    | dialectType
    | namedType
    ;

// tensor<2x?x4xf32> or tensor<?xf32, #stablehlo.bounds<8>>: DIM tokens carry the 'x'.
tensorType : KW_TENSOR LANGLE DIM* type_ (COMMA attribute)? RANGLE ;
complexType : KW_COMPLEX LANGLE type_ RANGLE ;
tupleType : KW_TUPLE LANGLE typeList? RANGLE ;
functionType : LPAREN typeList? RPAREN ARROW functionResults ;
functionResults : LPAREN typeList? RPAREN | type_ ;
typeList : type_ (COMMA type_)* ;

// !quant.uniform<i8<-127:127>:f32:1, {0.1:-3, 0.2}> (per-axis) or !quant.uniform<i8:f32, 0.5:-3>.
quantType
    : QUANT_UNIFORM LANGLE BARE_ID (LANGLE signedInteger COLON signedInteger RANGLE)? COLON BARE_ID
      (COLON INTEGER)? COMMA (quantScale | LBRACE quantScale (COMMA quantScale)* RBRACE) RANGLE
    ;
quantScale : (FLOAT | INTEGER) (COLON signedInteger)? ;
signedInteger : MINUS? INTEGER ;

// memref<...> / vector<...>: kept as text.
opaqueBuiltinType : (KW_MEMREF | KW_VECTOR) balancedAngle ;
// !stablehlo.token, !stablehlo.future<...>, !alias, !other.type<...>.
dialectType : BANG_ID balancedAngle? ;
// i32, ui8, f32, bf16, f8E4M3FN, index, none.
namedType : BARE_ID ;

// A dialect's own syntax between angle brackets: matched for balance here, read by the dialect's parser.
balancedAngle : LANGLE balancedItem* RANGLE ;
balancedItem
    : LANGLE balancedItem* RANGLE
    | LPAREN balancedItem* RPAREN
    | LBRACKET balancedItem* RBRACKET
    | LBRACE balancedItem* RBRACE
    | ~(LANGLE | RANGLE | LPAREN | RPAREN | LBRACKET | RBRACKET | LBRACE | RBRACE)
    ;

// ---- attributes -------------------------------------------------------------------------------------
attribute
    : denseAttr
    | denseResourceAttr
    | denseArrayAttr
    | arrayAttr
    | dictionaryAttr
    | stringAttr
    | numberAttr
    | boolAttr
    | unitAttr
    | symbolRefAttr
    | location
    | dialectAttr
    | type_
    ;

// An attribute whose type the caller supplies: literals take no ': type' suffix.
untypedAttribute
    : denseLiteralBody
    | number
    | attribute
    ;

denseAttr : denseLiteralBody (COLON type_)? ;
denseLiteralBody : KW_DENSE LANGLE (STRING | denseElement)? RANGLE ;
denseElement
    : LBRACKET (denseElement (COMMA denseElement)*)? RBRACKET
    | LPAREN denseScalar COMMA denseScalar RPAREN
    | denseScalar
    ;
denseScalar : number | KW_TRUE | KW_FALSE ;
denseResourceAttr : KW_DENSE_RESOURCE balancedAngle (COLON type_)? ;

denseArrayAttr : KW_ARRAY LANGLE type_ (COLON denseScalar (COMMA denseScalar)*)? RANGLE ;
arrayAttr : LBRACKET (attribute (COMMA attribute)*)? RBRACKET ;
dictionaryAttr : LBRACE (dictEntry (COMMA dictEntry)*)? RBRACE ;
dictEntry : (identifier | STRING) (EQUAL attribute)? ;
stringAttr : STRING (COLON type_)? ;
numberAttr : number (COLON type_)? ;
number : MINUS? (INTEGER | FLOAT | HEX) ;
boolAttr : KW_TRUE | KW_FALSE ;
unitAttr : KW_UNIT ;
symbolRefAttr : AT_ID (COLON_COLON AT_ID)* ;
// #stablehlo.dot<...>, #stablehlo<comparison_direction LT>, or an alias #name.
dialectAttr : HASH_ID balancedAngle? ;

identifier
    : BARE_ID | KW_TENSOR | KW_COMPLEX | KW_TUPLE | KW_MEMREF | KW_VECTOR | KW_DENSE | KW_DENSE_RESOURCE
    | KW_ARRAY | KW_LOC | KW_TRUE | KW_FALSE | KW_UNIT | KW_UNKNOWN | KW_CALLSITE | KW_FUSED | KW_AT | KW_TO
    ;

// ---- locations --------------------------------------------------------------------------------------
location : KW_LOC LPAREN locationBody RPAREN ;
locationBody
    : KW_UNKNOWN                                                                            # unknownLoc
    | HASH_ID                                                                               # aliasLoc
    | KW_CALLSITE LPAREN locationBody KW_AT locationBody RPAREN                             # callSiteLoc
    | KW_FUSED (LANGLE attribute RANGLE)? LBRACKET (locationBody (COMMA locationBody)*)? RBRACKET # fusedLoc
    | STRING COLON INTEGER COLON INTEGER (KW_TO INTEGER? COLON INTEGER)?                    # fileLoc
    | STRING (LPAREN locationBody RPAREN)?                                                  # nameLoc
    ;
