<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="text()"/>

<xsl:template match="child::element">
    <result>
        <xsl:value-of select="name()"/>
    </result>
</xsl:template>

</xsl:stylesheet>
