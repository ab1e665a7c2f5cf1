/**
 * Real-time collaborative editing (issue 4): a document authority compatible with {@code @codemirror/collab},
 * presence, and the shared {@code ChangeSet} text math. Nothing is implemented yet; the studio saves files through
 * its workspace and warns about conflicting saves until this lands.
 */
package dev.kiln.collab;
