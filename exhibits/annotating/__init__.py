"""Region annotations (issue #23): the curators' vocabulary of classes (AnnotationClass), the
one check of drawn shapes, regions and media, their geometry (areas), and the W3C Web
Annotation export. The Annotation model itself stays in exhibits.collection."""
